%% The distributed benchmarks on Erlang/OTP: real `erl` nodes on loopback,
%% each a separate OS process started by this driver node with open_port
%% (so the driver knows every node's OS pid and can SIGKILL it). All nodes
%% use -name x@127.0.0.1, the driver's cookie and default settings
%% (net_ticktime 60, global's connect_all: a node that connects to one
%% member of a cluster gets connected to all of them).
%%
%% As in bench/dist/troupe_main.cpp:
%%   - dist_ping_pong_* and dist_throughput run between two worker nodes,
%%     w1 (pinger) and w2 (ponger); the driver only starts the series and
%%     collects the result, so it is not in the measured loop.
%%   - remote_spawn and registry_lookup are measured from the driver, a
%%     member of the cluster like any node.
%%   - join_N launches N fresh nodes at once and takes the time until each
%%     of them has reported nodes() of length N-1.
%%   - failure_detection SIGKILLs one of three worker nodes and takes the
%%     time at which each survivor itself saw it down.
%%   - dist_oneway (on w1 and w2) and overload_peak_rss (on two fresh
%%     nodes) blast one-way messages at a sink: bench_flow.erl.
%%
%% Environment (set by run.sh): BENCH_SUFFIX makes the node names of this
%% run unique; BENCH_PIDFILE collects the OS pid of every node launched, so
%% that run.sh can kill what is left if this driver dies.
-module(bench_dist).

-export([main/1]).
%% Entry points of the launched nodes and of processes spawned on them.
-export([worker/1, join_member/1, ponger/0, pinger/6, echo_once/0,
         named/2, watcher/2]).

-import(bench_common, [report/3, progress/2, fail/2, now_ns/0, size/3,
                       runs/1, median/1, percentile/2]).

-record(ctx, {opts, suffix, dir, erl, pidfile, pair = none}).
-record(node, {name, port, ospid}).

-define(CALL_MS, 10000).       % any single answer
-define(SERIES_MS, 120000).    % one ping-pong series
-define(JOIN_MS, 120000).      % N nodes booting on 2 cores
-define(LIFETIME_MS, 600000).  % a launched node halts after this, whatever happens

main(Args) ->
    Opts = bench_common:parse_args(Args),
    Ctx0 = #ctx{opts = Opts,
                suffix = os:getenv("BENCH_SUFFIX", os:getpid()),
                dir = filename:dirname(code:which(?MODULE)),
                erl = os:find_executable("erl"),
                pidfile = os:getenv("BENCH_PIDFILE", "")},
    register(bench_dist_driver, self()),
    %% As on the launched nodes: no warnings about nodes killed on purpose.
    logger:set_primary_config(level, error),
    progress("distributed benchmarks on Erlang/OTP ~s, driver ~s~s",
             [erlang:system_info(otp_release), node(),
              case size(Opts, full, quick) of quick -> " (quick)"; _ -> "" end]),
    Suite = [{["dist_ping_pong_p50", "dist_ping_pong_p99"], fun ping_pong/1},
             {["dist_throughput"], fun throughput/1},
             {["dist_oneway"], fun oneway/1},
             {["remote_spawn"], fun remote_spawn/1},
             {["registry_lookup"], fun registry_lookup/1},
             {["join_3", "join_16"], fun join/1},
             {["failure_detection"], fun failure_detection/1},
             {["overload_peak_rss_sender", "overload_peak_rss_receiver"],
              fun overload/1}],
    {Failures, Ctx} =
        lists:foldl(
          fun({Ids, Fun}, {F, C}) ->
                  case bench_common:wants(Opts, Ids) of
                      false -> {F, C};
                      true -> run_one(hd(Ids), Fun, C, F)
                  end
          end, {0, Ctx0}, Suite),
    case Ctx#ctx.pair of
        none -> ok;
        {W1, W2, _Pong} -> stop_nodes([W1, W2])
    end,
    halt(case Failures of 0 -> 0; _ -> 1 end).

run_one(Id, Fun, Ctx, Failures) ->
    try
        {Failures, Fun(Ctx)}
    catch
        error:{bench_failed, Msg} ->
            progress("  ~s FAILED: ~s", [Id, Msg]), {Failures + 1, Ctx};
        Class:Reason:Stack ->
            progress("  ~s FAILED: ~p:~p ~p", [Id, Class, Reason, Stack]),
            {Failures + 1, Ctx}
    end.

%%% Launching and stopping nodes

%% Starts `erl` for node Name@127.0.0.1 evaluating Expr. The node's stdout
%% comes to this process as lines ({Port, {data, {eol, Line}}}); its stderr
%% is ours.
launch(Ctx, Name, Expr) ->
    Port = open_port({spawn_executable, Ctx#ctx.erl},
                     [{args, ["-noinput", "-name", Name ++ "@127.0.0.1",
                              "-setcookie", atom_to_list(erlang:get_cookie()),
                              "-pa", Ctx#ctx.dir,
                              "-kernel", "logger",
                              "[{handler,default,logger_std_h,#{config=>#{type=>standard_error}}}]",
                              %% Killing nodes makes global warn about the
                              %% lost connections; errors still show.
                              "-kernel", "logger_level", "error",
                              "-eval", Expr]},
                      {line, 1024}, exit_status, use_stdio]),
    {os_pid, OsPid} = erlang:port_info(Port, os_pid),
    Ctx#ctx.pidfile =/= "" andalso
        file:write_file(Ctx#ctx.pidfile, integer_to_list(OsPid) ++ "\n", [append]),
    #node{name = list_to_atom(Name ++ "@127.0.0.1"), port = Port, ospid = OsPid}.

expr(Fmt, Args) -> lists:flatten(io_lib:format(Fmt, Args)).

%% SIGKILL and wait until every OS process is gone (its port's exit status).
stop_nodes(Nodes) ->
    os:cmd(lists:flatten(["kill -9", [[" ", integer_to_list(N#node.ospid)] || N <- Nodes],
                          " 2>/dev/null"])),
    [receive {P, {exit_status, _}} -> ok
     after ?CALL_MS -> progress("  warning: node ~s did not exit", [Name])
     end || #node{port = P, name = Name} <- Nodes],
    flush_port_data(),
    ok.

flush_port_data() ->
    receive {P, {data, _}} when is_port(P) -> flush_port_data() after 0 -> ok end.

%% A launched node halts on its own once the driver's OS process is gone
%% (checked every second) or after ?LIFETIME_MS: a last resort if the driver
%% and run.sh both die without killing it.
lifetime(DriverOsPid) ->
    Deadline = now_ns() + ?LIFETIME_MS * 1000000,
    spawn(fun() -> orphan_guard("/proc/" ++ DriverOsPid, Deadline) end).

orphan_guard(Proc, Deadline) ->
    receive after 1000 -> ok end,
    case filelib:is_dir(Proc) andalso now_ns() < Deadline of
        true -> orphan_guard(Proc, Deadline);
        false -> erlang:halt(1)
    end.

%% A worker node: connects to the driver, announces itself, and halts when
%% the driver goes away.
worker([Driver, DriverOsPid]) ->
    lifetime(DriverOsPid),
    wait_pong(Driver, now_ns() + ?CALL_MS * 1000000),
    monitor_node(Driver, true),
    {bench_dist_driver, Driver} ! {worker_up, node()},
    receive {nodedown, Driver} -> erlang:halt(1) end.

wait_pong(Node, Deadline) ->
    case net_adm:ping(Node) of
        pong -> ok;
        pang ->
            now_ns() < Deadline orelse erlang:halt(2),
            receive after 5 -> wait_pong(Node, Deadline) end
    end.

%% Launches worker nodes Prefix1..PrefixN and waits until all are connected
%% to the driver and to each other.
start_workers(Ctx, Prefix, N) ->
    Nodes = [launch(Ctx, expr("~s~b_~s", [Prefix, I, Ctx#ctx.suffix]),
                    expr("bench_dist:worker(['~s', \"~s\"])", [node(), os:getpid()]))
             || I <- lists:seq(1, N)],
    try
        [await_worker(W) || W <- Nodes],
        Names = [W#node.name || W <- Nodes],
        [ok = rpc_ok(A, net_kernel, connect_node, [B], true)
         || A <- Names, B <- Names, A < B],
        Nodes
    catch
        Class:Reason:Stack ->
            stop_nodes(Nodes),
            erlang:raise(Class, Reason, Stack)
    end.

await_worker(#node{name = Name, port = Port}) ->
    receive
        {worker_up, Name} -> ok;
        {Port, {exit_status, S}} -> fail("node ~s exited with status ~b", [Name, S])
    after ?JOIN_MS -> fail("node ~s did not come up", [Name])
    end.

rpc_ok(Node, M, F, A, Expect) ->
    case rpc:call(Node, M, F, A, ?CALL_MS) of
        Expect -> ok;
        Other -> fail("~s:~s on ~s returned ~p", [M, F, Node, Other])
    end.

%% The two workers shared by ping-pong, throughput, remote_spawn and
%% registry_lookup (started on first use), with a ponger on w2.
pair(#ctx{pair = none} = Ctx) ->
    progress("  starting 2 worker nodes", []),
    [W1, W2] = start_workers(Ctx, "bw", 2),
    Pong = spawn(W2#node.name, ?MODULE, ponger, []),
    Ctx#ctx{pair = {W1, W2, Pong}};
pair(Ctx) -> Ctx.

%%% dist_ping_pong, dist_throughput: a pinger on w1, the ponger on w2.

ponger() ->
    receive {ping, From, Seq} -> From ! {pong, Seq}, ponger() end.

%% One series, its result sent to ReplyTo. Rounds > 0: that many timed round
%% trips after Warmup, one ping in flight (Window 1), a latency sample each.
%% Rounds = 0: Window pings in flight for DurationNs after Warmup pongs.
pinger(Pong, Warmup, Rounds, Window, DurationNs, ReplyTo) ->
    ReplyTo ! {series, self(),
               case Rounds > 0 of
                   true -> latencies(Pong, 0, Warmup + Rounds, Warmup, []);
                   false -> windowed(Pong, Warmup, Window, DurationNs)
               end}.

latencies(_Pong, Total, Total, _Warmup, Acc) -> {latencies, Acc};
latencies(Pong, Seq, Total, Warmup, Acc) ->
    T0 = now_ns(),
    Pong ! {ping, self(), Seq},
    receive
        {pong, Seq} ->
            Acc1 = case Seq >= Warmup of
                       true -> [now_ns() - T0 | Acc];
                       false -> Acc
                   end,
            latencies(Pong, Seq + 1, Total, Warmup, Acc1);
        {pong, Other} -> {error, {out_of_order, Seq, Other}}
    after ?CALL_MS -> {error, {no_pong, Seq}}
    end.

windowed(Pong, Warmup, Window, DurationNs) ->
    [Pong ! {ping, self(), Seq} || Seq <- lists:seq(0, Window - 1)],
    windowed(Pong, Warmup, DurationNs, Window, 0, now_ns()).

%% Sent pings so far, Received pongs so far (in order, or it is an error).
windowed(Pong, Warmup, DurationNs, Sent, Received, Start) ->
    receive
        {pong, Received} ->
            Now = now_ns(),
            Got = Received + 1,
            Start1 = case Got of Warmup -> Now; _ -> Start end,
            case Got > Warmup andalso Now - Start1 >= DurationNs of
                true ->
                    drain(Sent - Got),
                    {rounds, Got - Warmup, Now - Start1};
                false ->
                    Pong ! {ping, self(), Sent},
                    windowed(Pong, Warmup, DurationNs, Sent + 1, Got, Start1)
            end;
        {pong, Other} -> {error, {out_of_order, Received, Other}}
    after ?CALL_MS -> {error, {no_pong, Received}}
    end.

drain(0) -> ok;
drain(N) -> receive {pong, _} -> drain(N - 1) after ?CALL_MS -> ok end.

series(Ctx, Warmup, Rounds, Window, DurationNs) ->
    {W1, _W2, Pong} = Ctx#ctx.pair,
    P = spawn(W1#node.name, ?MODULE, pinger,
              [Pong, Warmup, Rounds, Window, DurationNs, self()]),
    receive
        {series, P, {error, E}} -> fail("ping-pong series: ~p", [E]);
        {series, P, Result} -> Result
    after ?SERIES_MS -> fail("ping-pong series: no result", [])
    end.

ping_pong(Ctx0) ->
    Ctx = pair(Ctx0),
    Rounds = size(Ctx#ctx.opts, 20000, 2000),
    {latencies, Ns} = series(Ctx, 1000, Rounds, 1, 0),
    Us = [X / 1000 || X <- Ns],
    report("dist_ping_pong_p50", percentile(Us, 0.5), "us"),
    report("dist_ping_pong_p99", percentile(Us, 0.99), "us"),
    Ctx.

throughput(Ctx0) ->
    Ctx = pair(Ctx0),
    DurationNs = size(Ctx#ctx.opts, 2000000000, 500000000),
    {rounds, Rounds, ElapsedNs} = series(Ctx, 1000, 0, 100, DurationNs),
    report("dist_throughput", Rounds * 1.0e9 / ElapsedNs, "per_s"),
    Ctx.

%%% dist_oneway, overload_peak_rss: bench_flow.erl. The overload figure
%%% gets two fresh nodes: VmHWM only grows.

oneway(Ctx0) ->
    Ctx = pair(Ctx0),
    {W1, W2, _Pong} = Ctx#ctx.pair,
    Count = size(Ctx#ctx.opts, 1000000, 100000),
    report("dist_oneway", bench_flow:oneway(W1#node.name, W2#node.name, Count), "per_s"),
    Ctx.

overload(Ctx) ->
    DurationNs = size(Ctx#ctx.opts, 3000000000, 1000000000),
    Nodes = [W1, W2] = start_workers(Ctx, expr("bo~b_", [erlang:unique_integer([positive])]), 2),
    try
        {Sent, SenderKb, ReceiverKb} = bench_flow:overload(W1#node.name, W2#node.name, DurationNs),
        progress("    sent ~b messages in ~b ms, ~sx what the sink handles in that time",
                 [Sent, DurationNs div 1000000, bench_common:fmt_g(Sent * bench_flow:work_ns() / DurationNs)]),
        report("overload_peak_rss_sender", SenderKb / 1024, "MB"),
        report("overload_peak_rss_receiver", ReceiverKb / 1024, "MB")
    after
        stop_nodes(Nodes)
    end,
    Ctx.

%%% remote_spawn: spawn/4 on w2 from the driver plus one request to the new
%%% process, which answers and ends (spawn/4 returns before the process
%%% runs; the answer proves it did). Median of 1,000 after 20 untimed.

echo_once() ->
    receive {echo, From, X} -> From ! {echoed, self(), X} end.

remote_spawn(Ctx0) ->
    Ctx = pair(Ctx0),
    {_W1, W2, _Pong} = Ctx#ctx.pair,
    N = size(Ctx#ctx.opts, 1000, 100),
    Once = fun(I) ->
                   T0 = now_ns(),
                   Pid = spawn(W2#node.name, ?MODULE, echo_once, []),
                   Pid ! {echo, self(), I},
                   receive {echoed, Pid, I} -> (now_ns() - T0) / 1000
                   after ?CALL_MS -> fail("no answer from a process spawned on ~s", [W2#node.name])
                   end
           end,
    [Once(I) || I <- lists:seq(1, 20)],
    report("remote_spawn", median([Once(I) || I <- lists:seq(1, N)]), "us"),
    Ctx.

%%% registry_lookup: global:whereis_name/1 on the driver of a name that a
%%% process on w2 registered with global:register_name/2. global replicates
%%% its name table to every node, so a lookup is a local ETS read: that is
%%% Erlang's real cost, reported as is.

named(Name, ReplyTo) ->
    yes = global:register_name(Name, self()),
    ReplyTo ! {registered, self()},
    receive stop -> ok end.

registry_lookup(Ctx0) ->
    Ctx = pair(Ctx0),
    {_W1, W2, _Pong} = Ctx#ctx.pair,
    N = size(Ctx#ctx.opts, 10000, 1000),
    Name = {bench_registry_target, Ctx#ctx.suffix},
    Target = spawn(W2#node.name, ?MODULE, named, [Name, self()]),
    receive {registered, Target} -> ok
    after ?CALL_MS -> fail("the name was not registered on ~s", [W2#node.name])
    end,
    wait_visible(Name, Target, now_ns() + ?CALL_MS * 1000000),
    Once = fun() ->
                   T0 = now_ns(),
                   Found = global:whereis_name(Name),
                   Us = (now_ns() - T0) / 1000,
                   Found =:= Target orelse fail("whereis_name returned ~p", [Found]),
                   Us
           end,
    report("registry_lookup", median([Once() || _ <- lists:seq(1, N)]), "us"),
    Target ! stop,
    Ctx.

%% The registration reaches this node in the background: poll, bounded.
wait_visible(Name, Target, Deadline) ->
    case global:whereis_name(Name) of
        Target -> ok;
        _ ->
            now_ns() < Deadline orelse fail("~p not visible on the driver after 10 s", [Name]),
            receive after 5 -> wait_visible(Name, Target, Deadline) end
    end.

%%% join_N: launch N nodes at once; each pings the first one (the seed)
%%% until it answers, global then connects it to every other member, and
%%% it prints "UP" once nodes() has N-1 entries. Timer: just before the
%%% first launch to the last "UP". The driver is not part of these clusters
%%% (the members never connect to it; they report through their stdout).
%%% join_3 is the median of 3 runs, join_16 runs once (as on the C++ side).

join_member([Seed, N, DriverOsPid]) ->
    lifetime(DriverOsPid),
    ok = net_kernel:monitor_nodes(true),
    node() =:= Seed orelse wait_pong(Seed, now_ns() + ?JOIN_MS * 1000000),
    wait_members(N - 1),
    io:format("UP ~b~n", [length(nodes())]),
    receive after infinity -> ok end.

wait_members(Want) ->
    case length(nodes()) >= Want of
        true -> ok;
        false -> receive {nodeup, _} -> wait_members(Want) end
    end.

join(Ctx) ->
    Opts = Ctx#ctx.opts,
    bench_common:wants(Opts, ["join_3"]) andalso
        report("join_3", bench_common:median_of(runs(Opts), fun() -> join_ms(Ctx, 3) end), "ms"),
    bench_common:wants(Opts, ["join_16"]) andalso
        report("join_16", join_ms(Ctx, 16), "ms"),
    Ctx.

join_ms(Ctx, N) ->
    Run = erlang:unique_integer([positive]),
    Names = [expr("bj~b_~b_~s", [Run, I, Ctx#ctx.suffix]) || I <- lists:seq(1, N)],
    Seed = hd(Names) ++ "@127.0.0.1",
    T0 = now_ns(),
    Nodes = [launch(Ctx, Name, expr("bench_dist:join_member(['~s', ~b, \"~s\"])",
                                      [Seed, N, os:getpid()]))
             || Name <- Names],
    try
        [await_up(Node, N) || Node <- Nodes],
        (now_ns() - T0) / 1.0e6
    after
        stop_nodes(Nodes)
    end.

await_up(#node{name = Name, port = Port}, N) ->
    Want = "UP " ++ integer_to_list(N - 1),
    receive
        {Port, {data, {eol, Want}}} -> ok;
        {Port, {exit_status, S}} -> fail("node ~s exited with status ~b", [Name, S])
    after ?JOIN_MS -> fail("node ~s did not see all ~b others", [Name, N - 1])
    end.

%%% failure_detection: three worker nodes, all connected; a watcher on each
%%% survivor monitors the victim (monitor_node). SIGKILL the victim; figure
%%% = the later of the two survivors' nodedown times minus the kill time.
%%% Clocks: os:system_time (CLOCK_REALTIME, one clock for every process of
%%% the machine; erlang:monotonic_time has a per-VM origin). The kill comes
%%% from a shell started beforehand that waits on its stdin, so the timer
%%% does not include a fork (kill is a builtin of sh).
%%% On loopback a killed node's sockets are closed by the kernel, so the
%%% survivors see EOF at once; a frozen (not dead) node would only be
%%% noticed by the tick after up to net_ticktime (60 s by default).

watcher(Victim, Collector) ->
    monitor_node(Victim, true),
    Collector ! {ready, node()},
    receive {nodedown, Victim} -> Collector ! {seen, node(), os:system_time(nanosecond)}
    after ?JOIN_MS -> ok
    end.

failure_detection(Ctx) ->
    Runs = runs(Ctx#ctx.opts),
    report("failure_detection",
           bench_common:median_of(Runs, fun() -> failure_ms(Ctx) end), "ms"),
    Ctx.

failure_ms(Ctx) ->
    Nodes = start_workers(Ctx, expr("bf~b_", [erlang:unique_integer([positive])]), 3),
    [S1, S2, Victim] = Nodes,
    Killer = open_port({spawn_executable, "/bin/sh"},
                       [{args, ["-c", "read x; kill -9 " ++ integer_to_list(Victim#node.ospid)]},
                        exit_status, use_stdio]),
    try
        [spawn(S#node.name, ?MODULE, watcher, [Victim#node.name, self()]) || S <- [S1, S2]],
        [receive {ready, Name} -> ok
         after ?CALL_MS -> fail("no watcher on ~s", [Name])
         end || #node{name = Name} <- [S1, S2]],
        receive after 100 -> ok end,       % the shell is surely waiting in read
        T0 = os:system_time(nanosecond),
        port_command(Killer, "kill\n"),
        Seen = [receive {seen, Name, At} -> At
                after ?JOIN_MS -> fail("~s did not see the victim down", [Name])
                end || #node{name = Name} <- [S1, S2]],
        progress("    survivors saw the victim down after ~s and ~s ms",
                 [bench_common:fmt_g((At - T0) / 1.0e6) || At <- Seen]),
        (lists:max(Seen) - T0) / 1.0e6
    after
        catch port_close(Killer),
        stop_nodes(Nodes)
    end.
