%% The restartable service of the restart benchmark (bench_local:restart/1):
%% a gen_server registered as `victim` under an OTP supervisor. `crash`
%% stores the crash time in the shared atomics array just before the process
%% stops abnormally; `ping` answers with the time the call was handled.
-module(bench_victim).
-behaviour(gen_server).
-export([start_link/1, init/1, handle_call/3, handle_cast/2]).

start_link(Clock) -> gen_server:start_link({local, victim}, ?MODULE, Clock, []).

init(Clock) -> {ok, Clock}.

handle_call(ping, _From, Clock) -> {reply, erlang:monotonic_time(nanosecond), Clock}.

handle_cast(crash, Clock) ->
    atomics:put(Clock, 1, erlang:monotonic_time(nanosecond)),
    {stop, crash, Clock}.
