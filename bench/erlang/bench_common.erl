%% Helpers shared by the Erlang peer programs (bench_local, bench_dist):
%% the command-line options (--quick, --only=a,b) and the output contract of
%% every benchmark program (bench/harness/report.hpp):
%%   RESULT <id> <value> <unit>        on stdout, value printed like %.6g
%% Progress and errors go to stderr, so stdout stays parseable.
-module(bench_common).
-export([parse_args/1, wants/2, size/3, runs/1, report/3, progress/2,
         fail/2, now_ns/0, percentile/2, median/1, median_of/2, fmt_g/1]).

-record(opts, {quick = false :: boolean(), only = [] :: [string()]}).

%% Options come as plain arguments (erl ... -extra --quick --only=a,b).
parse_args(Args) ->
    lists:foldl(
      fun("--quick", O) -> O#opts{quick = true};
         ("--only=" ++ List, O) ->
              O#opts{only = O#opts.only ++ string:lexemes(List, ",")};
         (Other, _) -> fail("unknown option ~s", [Other])
      end, #opts{}, Args).

%% A benchmark runs if --only is absent or one of its ids (or its group
%% name) starts with one of the given prefixes, as in bench/harness/options.hpp.
wants(#opts{only = []}, _Ids) -> true;
wants(#opts{only = Prefixes}, Ids) ->
    lists:any(fun(Id) ->
                      lists:any(fun(P) -> lists:prefix(P, Id) end, Prefixes)
              end, Ids).

size(#opts{quick = true}, _Full, Small) -> Small;
size(#opts{quick = false}, Full, _Small) -> Full.

runs(#opts{quick = true}) -> 1;
runs(#opts{quick = false}) -> 3.

report(Id, Value, Unit) ->
    V = fmt_g(Value),
    io:format(standard_io, "RESULT ~s ~s ~s~n", [Id, V, Unit]),
    io:format(standard_error, "  ~-28s ~14s ~s~n", [Id, V, Unit]).

progress(Fmt, Args) -> io:format(standard_error, Fmt ++ "~n", Args).

%% Raises a benchmark failure; the suite's catch prints the message to
%% stderr, counts it and goes on with the next benchmark.
fail(Fmt, Args) -> erlang:error({bench_failed, lists:flatten(io_lib:format(Fmt, Args))}).

now_ns() -> erlang:monotonic_time(nanosecond).

%% Nearest rank, the same rule as bench::percentile.
percentile([], _P) -> 0.0;
percentile(Xs, P) ->
    Sorted = lists:sort(Xs),
    N = length(Sorted),
    Rank = min(trunc(P * (N - 1) + 0.5), N - 1),
    lists:nth(Rank + 1, Sorted).

median(Xs) -> percentile(Xs, 0.5).

median_of(Runs, Once) -> median([Once() || _ <- lists:seq(1, Runs)]).

%% C's %.6g: six significant digits, exponent form below 1e-4 or from 1e6.
fmt_g(X) when is_integer(X) -> fmt_g(float(X));
fmt_g(X) when X == 0.0 -> "0";
fmt_g(X) ->
    Sci = float_to_list(X, [{scientific, 5}]),          % rounded: d.ddddde+XX
    [Mant, ExpS] = string:split(Sci, "e"),
    E = list_to_integer(ExpS),
    if E < -4; E >= 6 ->
            Sign = if E < 0 -> "-"; true -> "+" end,
            trim_zeros(Mant) ++ "e" ++ Sign
                ++ string:right(integer_to_list(abs(E)), 2, $0);
       true ->
            trim_zeros(float_to_list(X, [{decimals, 5 - E}]))
    end.

trim_zeros(S) ->
    case lists:member($., S) of
        false -> S;
        true -> string:trim(string:trim(S, trailing, "0"), trailing, ".")
    end.
