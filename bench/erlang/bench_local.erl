%% The local benchmarks on Erlang/OTP: the same workloads as bench/local/*.hpp
%% (see bench/README.md), written the way an Erlang programmer would, with
%% plain processes and receive loops. One VM with default scheduler settings
%% (run.sh only adds +P so that a million processes fit). Prints RESULT
%% lines on stdout (bench_common:report/3); time figures are medians of 3
%% runs (1 with --quick).
%%
%%   erl -noshell +P 2000000 -pa DIR -eval 'bench_local:main(init:get_plain_arguments())' -extra [--quick] [--only=a,b]
-module(bench_local).
-behaviour(supervisor).

-export([main/1]).
-export([idle/1]).          % the idle process of spawn_idle (spawn/3)
-export([init/1]).          % supervisor callback of the restart benchmark

-import(bench_common, [report/3, progress/2, fail/2, now_ns/0, size/3,
                       runs/1, median_of/2, percentile/2]).

%% How long any single wait may take before the benchmark counts as failed.
-define(WAIT_MS, 120000).

main(Args) ->
    Opts = bench_common:parse_args(Args),
    progress("local benchmarks on Erlang/OTP ~s~s",
             [erlang:system_info(otp_release),
              case size(Opts, full, quick) of quick -> " (quick)"; _ -> "" end]),
    Suite = [{["ping_pong"], fun ping_pong/1},
             {["ping_pong_named"], fun ping_pong_named/1},
             {["thread_ring"], fun thread_ring/1},
             {["counting"], fun counting/1},
             {["fork_join"], fun fork_join/1},
             {["big"], fun big/1},
             {["contention"], fun contention/1},
             {["spawn", "idle_actor_bytes", "spawn_rate"], fun spawn_idle/1},
             {["restart", "restart_p50", "restart_p99"], fun restart/1}],
    Failures = lists:sum([run_one(Opts, Ids, Fun) || {Ids, Fun} <- Suite,
                                                      bench_common:wants(Opts, Ids)]),
    halt(case Failures of 0 -> 0; _ -> 1 end).

run_one(Opts, [Id | _], Fun) ->
    try
        Fun(Opts),
        0
    catch
        error:{bench_failed, Msg} ->
            progress("  ~s FAILED: ~s", [Id, Msg]), 1;
        Class:Reason:Stack ->
            progress("  ~s FAILED: ~p:~p ~p", [Id, Class, Reason, Stack]), 1
    after
        flush_mailbox(),
        garbage_collect()
    end.

%% Waits for `Msg` from a benchmark's processes, bounded.
await(Msg, What) ->
    receive Msg -> ok
    after ?WAIT_MS -> fail("~s: no answer within ~b s", [What, ?WAIT_MS div 1000])
    end.

flush_mailbox() ->
    receive _ -> flush_mailbox() after 0 -> ok end.

%% Kills the processes and waits until they are gone (a registered name is
%% free again once its process is).
stop_all(Pids) ->
    Refs = [{monitor(process, P), exit(P, kill)} || P <- Pids],
    [receive {'DOWN', R, process, _, _} -> ok after ?WAIT_MS -> fail("a process did not die", []) end
     || {R, _} <- Refs],
    ok.

%%% ping_pong, ping_pong_named: two processes bounce one message; ns per
%%% round trip. "named" sends every ping to the pong's registered name (the
%%% Erlang form of a stable name: a lookup in the name table per send).

ping_pong(Opts) ->
    N = size(Opts, 1000000, 100000),
    report("ping_pong", median_of(runs(Opts), fun() -> ping_pong_ns(N, false) end), "ns").

ping_pong_named(Opts) ->
    N = size(Opts, 1000000, 100000),
    report("ping_pong_named", median_of(runs(Opts), fun() -> ping_pong_ns(N, true) end), "ns").

ping_pong_ns(Rounds, Named) ->
    Pong = spawn(fun pong_loop/0),
    Target = case Named of
                 true -> register(pong, Pong), pong;
                 false -> Pong
             end,
    Self = self(),
    Ping = spawn(fun() -> receive go -> ping_loop(Target, Rounds, Self) end end),
    T0 = now_ns(),
    Ping ! go,
    await(done, "ping_pong"),
    Ns = (now_ns() - T0) / Rounds,
    stop_all([Pong]),
    Ns.

pong_loop() ->
    receive {ping, From, N} -> From ! {pong, N}, pong_loop() end.

ping_loop(_Pong, 0, ReplyTo) -> ReplyTo ! done;
ping_loop(Pong, Left, ReplyTo) ->
    Pong ! {ping, self(), Left},
    receive {pong, Left} -> ping_loop(Pong, Left - 1, ReplyTo) end.

%%% thread_ring: 503 processes pass one token; ns per hop. Every hop wakes
%%% another process, so this is mostly scheduling.

thread_ring(Opts) ->
    Hops = size(Opts, 2000000, 200000),
    report("thread_ring", median_of(runs(Opts), fun() -> thread_ring_ns(503, Hops) end), "ns").

thread_ring_ns(Members, Hops) ->
    Ring = [spawn(fun ring_member/0) || _ <- lists:seq(1, Members)],
    Self = self(),
    [P ! {next, Next, Self} || {P, Next} <- lists:zip(Ring, tl(Ring) ++ [hd(Ring)])],
    T0 = now_ns(),
    hd(Ring) ! {token, Hops - 1},
    await(done, "thread_ring"),
    Ns = (now_ns() - T0) / Hops,
    stop_all(Ring),
    Ns.

ring_member() ->
    receive {next, Next, ReplyTo} -> ring_loop(Next, ReplyTo) end.

ring_loop(Next, ReplyTo) ->
    receive
        {token, 0} -> ReplyTo ! done;
        {token, Left} -> Next ! {token, Left - 1}
    end,
    ring_loop(Next, ReplyTo).

%%% counting: one sender, one counter; ns per message until the counter
%%% has seen all of them. contention: 16 senders, one counter.

counting(Opts) ->
    N = size(Opts, 1000000, 100000),
    report("counting", median_of(runs(Opts), fun() -> counter_ns(1, N) end), "ns").

contention(Opts) ->
    PerSender = size(Opts, 62500, 6250),
    report("contention", median_of(runs(Opts), fun() -> counter_ns(16, PerSender) end), "ns").

counter_ns(Senders, PerSender) ->
    Total = Senders * PerSender,
    Self = self(),
    Counter = spawn(fun() -> count(0, Total, Self) end),
    Producers = [spawn(fun() -> receive go -> produce(Counter, PerSender) end end)
                 || _ <- lists:seq(1, Senders)],
    T0 = now_ns(),
    [P ! go || P <- Producers],
    await(done, "counter"),
    (now_ns() - T0) / Total.

count(Target, Target, ReplyTo) -> ReplyTo ! done;
count(N, Target, ReplyTo) -> receive incr -> count(N + 1, Target, ReplyTo) end.

produce(_Counter, 0) -> ok;
produce(Counter, N) -> Counter ! incr, produce(Counter, N - 1).

%%% fork_join: the driver spawns a process and sends it one message; the
%%% process tells the join process and ends. ns per process, first spawn to
%%% the join's last done.

fork_join(Opts) ->
    N = size(Opts, 200000, 50000),
    report("fork_join", median_of(runs(Opts), fun() -> fork_join_ns(N) end), "ns").

fork_join_ns(N) ->
    Self = self(),
    Join = spawn(fun() -> count_dones(N, Self) end),
    T0 = now_ns(),
    fork(N, Join),
    await(done, "fork_join"),
    (now_ns() - T0) / N.

fork(0, _Join) -> ok;
fork(N, Join) ->
    W = spawn(fun() -> receive go -> Join ! done end end),
    W ! go,
    fork(N - 1, Join).

count_dones(0, ReplyTo) -> ReplyTo ! done;
count_dones(N, ReplyTo) -> receive done -> count_dones(N - 1, ReplyTo) end.

%%% big (Savina): 100 processes; each pings a random peer and waits for the
%%% pong before its next ping, while answering the pings of others. ns per
%%% message, pings and pongs both counted. The peer is picked by the same
%%% xorshift64 as in bench/local/big.hpp (64-bit words are bignums in
%%% Erlang: that cost is part of the figure, as the C++ side pays its own).

-define(M64, 16#FFFFFFFFFFFFFFFF).

big(Opts) ->
    Pings = size(Opts, 10000, 1000),
    report("big", median_of(runs(Opts), fun() -> big_ns(100, Pings) end), "ns").

big_ns(N, Pings) ->
    Self = self(),
    Peers = [spawn(fun() -> big_init(Pings, Seed) end) || Seed <- lists:seq(0, N - 1)],
    Join = spawn(fun() -> count_dones(N, Self) end),
    PeerTuple = list_to_tuple(Peers),
    [P ! {peers, PeerTuple, Join} || P <- Peers],
    T0 = now_ns(),
    [P ! go || P <- Peers],
    await(done, "big"),
    Ns = (now_ns() - T0) / (2 * N * Pings),
    stop_all(Peers),
    Ns.

big_init(Pings, Seed) ->
    Rng = (Seed * 16#9E3779B97F4A7C15 + 1) band ?M64,
    receive {peers, Peers, Join} -> big_loop(Peers, Join, Pings, Rng) end.

big_loop(Peers, Join, Left, Rng) ->
    receive
        go ->
            Rng1 = ping_random(Peers, Rng),
            big_loop(Peers, Join, Left, Rng1);
        {ping, From} ->
            From ! pong,
            big_loop(Peers, Join, Left, Rng);
        pong when Left > 1 ->
            Rng1 = ping_random(Peers, Rng),
            big_loop(Peers, Join, Left - 1, Rng1);
        pong ->
            Join ! done,    % keeps answering the others' pings until killed
            big_loop(Peers, Join, 0, Rng)
    end.

ping_random(Peers, X0) ->
    X1 = X0 bxor ((X0 bsl 13) band ?M64),
    X2 = X1 bxor (X1 bsr 7),
    X3 = X2 bxor ((X2 bsl 17) band ?M64),
    element(X3 rem tuple_size(Peers) + 1, Peers) ! {ping, self()},
    X3.

%%% spawn: 1M idle processes (each waits in receive). bytes per process
%%% from the resident set size of the VM (/proc/self/status VmRSS, the
%%% same source as bench/harness/memory.hpp), and spawns per second until
%%% every process has run (each bumps a shared counter when it starts, as
%%% the C++ actors do). The driver keeps no list of the pids, so that the
%%% list is not counted; the processes are found again by their initial call.

spawn_idle(Opts) ->
    N = size(Opts, 1000000, 100000),
    Started = counters:new(1, [write_concurrency]),
    garbage_collect(),
    Rss0 = rss_bytes(),
    Mem0 = erlang:memory(total),
    T0 = now_ns(),
    spawn_n(N, Started),
    wait_started(Started, N, T0 + ?WAIT_MS * 1000000),
    Secs = (now_ns() - T0) / 1.0e9,
    Rss1 = rss_bytes(),
    Mem1 = erlang:memory(total),
    progress("  (erlang:memory(total) grew ~.1f bytes per process)", [(Mem1 - Mem0) / N]),
    report("idle_actor_bytes", (Rss1 - Rss0) / N, "bytes"),
    report("spawn_rate", N / Secs, "per_s"),
    Killed = length([exit(P, kill) || P <- erlang:processes(),
                                      erlang:process_info(P, initial_call)
                                          =:= {initial_call, {?MODULE, idle, 1}}]),
    Killed =:= N orelse fail("found ~b idle processes to stop, expected ~b", [Killed, N]).

spawn_n(0, _Started) -> ok;
spawn_n(N, Started) -> spawn(?MODULE, idle, [Started]), spawn_n(N - 1, Started).

idle(Started) ->
    counters:add(Started, 1, 1),
    receive stop -> ok end.

wait_started(Started, N, Deadline) ->
    case counters:get(Started, 1) >= N of
        true -> ok;
        false ->
            now_ns() < Deadline orelse fail("only ~b of ~b processes started",
                                            [counters:get(Started, 1), N]),
            receive after 1 -> wait_started(Started, N, Deadline) end
    end.

rss_bytes() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    [_, Rest] = binary:split(Status, <<"VmRSS:">>),
    [Kb | _] = string:lexemes(Rest, " \t\n"),
    binary_to_integer(Kb) * 1024.

%%% restart: a gen_server (bench_victim) registered as `victim`, the child
%%% of a real OTP supervisor (one_for_one, intensity high enough to never
%%% give up). The client casts `crash`; the victim stores the time in an
%%% atomics array and stops abnormally; the client calls `victim` until the
%%% new incarnation answers with the time it handled the call. Sample = that
%%% time minus the crash time.
%%%
%%% Crash reports are not logged during this benchmark (logger level
%%% critical): OTP's default handler would print two reports per crash to
%%% stdout, and formatting and printing 2,000 reports would dominate the
%%% figure. With logging left on, restarts are slower than reported here.

restart(Opts) ->
    Rounds = size(Opts, 2000, 200),
    #{level := Level} = logger:get_primary_config(),
    logger:set_primary_config(level, critical),
    Clock = atomics:new(1, [{signed, true}]),
    {ok, Sup} = supervisor:start_link({local, bench_sup}, ?MODULE, Clock),
    unlink(Sup),
    try
        Xs = [restart_once(Clock) || _ <- lists:seq(1, Rounds)],
        report("restart_p50", percentile(Xs, 0.5) / 1000, "us"),
        report("restart_p99", percentile(Xs, 0.99) / 1000, "us")
    after
        Ref = monitor(process, Sup),
        exit(Sup, shutdown),
        receive {'DOWN', Ref, process, Sup, _} -> ok after 5000 -> exit(Sup, kill) end,
        logger:set_primary_config(level, Level)
    end.

%% supervisor callback
init(Clock) ->
    {ok, {#{strategy => one_for_one, intensity => 1000000000, period => 1},
          [#{id => victim, start => {bench_victim, start_link, [Clock]},
             restart => permanent, shutdown => brutal_kill}]}}.

%% One crash and the wait for the new incarnation; nanoseconds.
restart_once(Clock) ->
    gen_server:cast(victim, crash),
    HandledAt = probe(now_ns() + 10000000000),
    HandledAt - atomics:get(Clock, 1).

%% Calls the name until the new incarnation answers: the old one (still
%% registered, the crash queued before this call) or no process at all
%% (between the exit and the restart) make the call exit; try again. The
%% retry yields first: a tight loop would keep its scheduler until its
%% time slice is used up while the supervisor waits in the same run queue
%% (that made the median ~30x worse on 2 cores, measuring the loop rather
%% than the restart).
probe(Deadline) ->
    try gen_server:call(victim, ping, 10000)
    catch
        exit:{timeout, _} -> fail("victim did not answer within 10 s", []);
        exit:_ ->
            now_ns() < Deadline orelse fail("victim not restarted within 10 s", []),
            erlang:yield(),
            probe(Deadline)
    end.
