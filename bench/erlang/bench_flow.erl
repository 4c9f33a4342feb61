%% The one-way figures of the Erlang peer (as bench/dist/flow_actors.hpp on
%% the C++ side): a blaster on one node sends small asynchronous messages to
%% a sink on another as fast as it can, with one confirmation at the end.
%%   dist_oneway        Count messages to a sink that only counts; the
%%                      confirmation is the sink's count.
%%   overload_peak_rss  messages for DurationNs to a slow sink (busy
%%                      ?WORK_NS per message); then a probe on the sink's
%%                      node, reached over the same connection and so after
%%                      every message sent, answers with that node's peak
%%                      resident memory (VmHWM); the blaster adds its own.
%% A sender in Erlang waits while its connection's output buffer is over
%% dist_buf_busy_limit (1 MB by default): that is Erlang's flow control,
%% measured here as it is.
-module(bench_flow).

-export([oneway/3, overload/3, work_ns/0]).
%% Processes spawned on the worker nodes.
-export([sink/2, probe/0, blaster/5]).

-import(bench_common, [fail/2, now_ns/0]).

-define(WORK_NS, 10000).      % the slow sink's busy time per message
-define(CHUNK, 256).          % sends between two looks at the clock
-define(CONFIRM_MS, 300000).

work_ns() -> ?WORK_NS.

%% Messages per second from a blaster on W1 to a sink on W2.
oneway(W1, W2, Count) ->
    Sink = spawn(W2, ?MODULE, sink, [0, 0]),
    B = spawn(W1, ?MODULE, blaster, [Sink, none, Count, 0, self()]),
    {Sent, Received, ElapsedNs} = await(B),
    exit(Sink, kill),
    Received =:= Sent orelse fail("the sink counted ~b of ~b messages", [Received, Sent]),
    Count * 1.0e9 / ElapsedNs.

%% {Sent, SenderKb, ReceiverKb}: DurationNs of messages from W1 to a slow
%% sink on W2.
overload(W1, W2, DurationNs) ->
    Sink = spawn(W2, ?MODULE, sink, [?WORK_NS, 0]),
    Probe = spawn(W2, ?MODULE, probe, []),
    B = spawn(W1, ?MODULE, blaster, [Sink, Probe, 0, DurationNs, self()]),
    Result = await(B),
    exit(Sink, kill),
    Result.

await(B) ->
    receive {blasted, B, Result} -> Result
    after ?CONFIRM_MS -> fail("no confirmation from the blaster", [])
    end.

sink(WorkNs, N) ->
    receive
        {oneway, _Seq} -> work(WorkNs), sink(WorkNs, N + 1);
        {oneway_end, From} -> From ! {received, self(), N}, sink(WorkNs, 0)
    end.

work(0) -> ok;
work(Ns) -> spin(now_ns() + Ns).

spin(Until) ->
    case now_ns() < Until of
        true -> spin(Until);
        false -> ok
    end.

probe() ->
    receive {peak_rss, From} -> From ! {peak_rss, self(), peak_rss_kb()} end.

%% Count > 0: that many messages, then the sink's count. Otherwise for
%% DurationNs, then the probe's answer.
blaster(Sink, Probe, Count, DurationNs, ReplyTo) ->
    T0 = now_ns(),
    Result =
        case Count > 0 of
            true ->
                send_n(Sink, 0, Count),
                Sink ! {oneway_end, self()},
                receive {received, Sink, N} -> {Count, N, now_ns() - T0}
                after ?CONFIRM_MS -> {Count, -1, 0}
                end;
            false ->
                Sent = send_for(Sink, 0, T0 + DurationNs),
                Probe ! {peak_rss, self()},
                receive {peak_rss, Probe, Kb} -> {Sent, peak_rss_kb(), Kb}
                after ?CONFIRM_MS -> {Sent, 0, 0}
                end
        end,
    ReplyTo ! {blasted, self(), Result}.

send_n(_Sink, Total, Total) -> ok;
send_n(Sink, Seq, Total) -> Sink ! {oneway, Seq}, send_n(Sink, Seq + 1, Total).

send_for(Sink, Seq, Deadline) ->
    [Sink ! {oneway, S} || S <- lists:seq(Seq, Seq + ?CHUNK - 1)],
    case now_ns() < Deadline of
        true -> send_for(Sink, Seq + ?CHUNK, Deadline);
        false -> Seq + ?CHUNK
    end.

%% VmHWM of this node's OS process, in KB.
peak_rss_kb() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    case re:run(Status, "VmHWM:\\s+([0-9]+)", [{capture, all_but_first, list}]) of
        {match, [Kb]} -> list_to_integer(Kb);
        nomatch -> 0
    end.
