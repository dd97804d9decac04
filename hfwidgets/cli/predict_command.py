"""``hfw predict``: count high-fives live with a trained run, on a serial port or a simulated arm.

    hfw predict --project DIR [--run ID] [--port PATH | --simulate] [--seconds S] [--json]

Events are printed as they happen (by the main thread: the classifier's worker only queues
them). With ``--simulate`` the simulated arm knows when it really did a high-five, so the
summary adds per-event precision and recall. A serial port that disappears is waited for
(its loss and return are said on stderr); one gone for ``--give-up`` seconds ends the run with
an error, ``keeps_up: false`` and ``source_lost`` naming what happened.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import time
from typing import Any

from hfwidgets.cli._parsers import Subparsers
from hfwidgets.cli._run_predictor import add_run_arguments, load_run_predictor, pick_run
from hfwidgets.errors import HfwError
from hfwidgets.live import Counted, LiveClassifier, Prediction, project_window_s
from hfwidgets.live.operating_point import settings_text
from hfwidgets.live.scoring import score_counts, scored_span
from hfwidgets.sensors import Source
from hfwidgets.sensors.watch import SourceWatch

__all__ = ["counting_settings", "pick_run", "register", "simulated_truth_score"]

_POLL_S = 0.1  # how often the main thread checks the queue, the clock and the worker


def simulated_truth_score(
    event_times: list[float],
    true_times: list[float],
    *,
    span: tuple[float, float],
    window_s: float,
) -> dict[str, float | int]:
    """Per-event scores of a run on a stream with known event times.

    A count matches a true event when the event's peak lies inside the window that fired it
    (the window ends at the count's time, so its centre is ``window_s / 2`` earlier). Events
    within a quarter window of the classified ``span`` edges are not scored: they were only
    partly seen.
    """
    lo, hi = scored_span(span[0], span[1], window_s=window_s)
    if hi <= lo:
        return {"precision": float("nan"), "recall": float("nan"), "true_events": 0}
    score = score_counts(event_times, true_times, window_s=window_s, within=(lo, hi))
    out = score.to_dict()
    out["true_events"] = len(score.matches) + len(score.missed)
    return out


def counting_settings(live: LiveClassifier, args: argparse.Namespace) -> dict[str, Any]:
    """The counting settings in use and where they came from, with a line for people.

    ``from``: ``"run"`` (the run's calibrated operating point), ``"options"`` (all given on the
    command line), ``"run+options"`` or ``"default"`` (no operating point stored).
    """
    point = live.operating_point
    given = [args.threshold, args.min_gap, args.consecutive]
    explicit = sum(v is not None for v in given)
    if point is None:
        origin = "options" if explicit == len(given) else "default"
    else:
        origin = "run" if not explicit else ("options" if explicit == len(given) else "run+options")
    text = settings_text(
        threshold=live.threshold, consecutive=live.consecutive, min_gap_s=live.min_gap_s
    )
    if origin == "run" and point is not None:
        text = f"the run's operating point: {point.describe()}"
    elif point is None:
        text += (
            "; the run has no operating point yet: `hfw calibrate --project DIR --run ID` "
            "chooses one on sessions with known high-fives"
        )
    else:
        text += f" (options over the run's operating point, {point.describe()})"
    return {
        "threshold": live.threshold,
        "consecutive": live.consecutive,
        "min_gap_s": live.min_gap_s,
        "from": origin,
        "text": text,
    }


def _open_source(args: argparse.Namespace, rate_hz: float) -> Source:
    from hfwidgets import sensors

    if args.port:
        serial_source = getattr(sensors, "SerialSource", None)
        if serial_source is None:
            raise HfwError("serial support is not available in this build; use --simulate")
        source: Source = serial_source(args.port, rate_hz=rate_hz)
        return source
    return sensors.SimulatedSource(
        rate_hz=rate_hz, seed=args.seed, events_per_minute=args.events_per_minute
    )


def _describe(event: Counted, positive: str, t0: float) -> str:
    return f"{positive} #{event.count} at {event.t - t0:7.2f} s  (p={event.prob:.2f})"


def _run(args: argparse.Namespace) -> int:
    from hfwidgets.store import Project

    if args.seconds is not None and not args.seconds > 0:
        raise HfwError(f"--seconds {args.seconds} must be > 0")
    if not args.give_up > 0:
        raise HfwError(f"--give-up {args.give_up} must be > 0 seconds")
    with Project.open(args.project) as project:
        run_id, predictor = load_run_predictor(project, args.run, backend=args.backend)
        window_s = args.window
        if window_s is None and getattr(predictor, "window_s", None) is None:
            window_s = project_window_s(project)  # what the run's windows were
    source = _open_source(args, float(predictor.rate_hz))
    try:
        live = LiveClassifier(
            source,
            predictor,
            hop_s=args.hop,
            window_s=window_s,
            threshold=args.threshold,
            min_gap_s=args.min_gap,
            consecutive=args.consecutive,
            positive=args.positive,
        )
    except ValueError as exc:
        raise HfwError(str(exc)) from exc
    pending: queue.Queue[Counted] = queue.Queue()
    span: list[float] = []  # times of the first and the latest classified hop

    def remember(pred: Prediction) -> None:
        if span:
            span[1:] = [pred.t]
        else:
            span.append(pred.t)

    live.on_event(pending.put)
    live.on_prediction(remember)
    watch = SourceWatch(source)
    source.on_status(watch.update)
    started = time.monotonic()
    counting = counting_settings(live, args)
    if not args.json:
        where = args.port or "the simulated arm"
        print(f"run {run_id}: counting {args.positive} on {where} (Ctrl-C stops)", flush=True)
        print(f"  {counting['text']}", flush=True)
    events, lost = _follow(
        live,
        source,
        pending,
        watch,
        seconds=args.seconds,
        give_up_s=args.give_up,
        echo=not args.json,
        t0=started,
    )
    stats = live.stats()
    summary: dict[str, Any] = {
        **stats.to_dict(),
        "run": run_id,
        "source": args.port or "simulated",
        "seconds": round(time.monotonic() - started, 3),
        "reconnects": source.stats().reconnects,
        "source_lost": lost,
        "counting": {k: v for k, v in counting.items() if k != "text"},
        "backend": getattr(predictor, "backend", "torch"),
    }
    if lost is not None:  # nothing was classified after the port went: that is not keeping up
        summary["keeps_up"] = False
    del summary["running"]
    truth = getattr(source, "events", None)
    if not args.port and truth is not None and len(span) == 2:
        summary.update(
            simulated_truth_score(
                [e.t for e in events],
                [e.t for e in truth if e.kind == args.positive],
                span=(span[0], span[1]),
                window_s=live.window_s,
            )
        )
    _print_summary(summary, as_json=args.json)
    if lost is not None:
        print(f"hfw predict: error: {lost}", file=sys.stderr)
        return 1
    if stats.error is not None:
        print(f"hfw predict: error: the classifier stopped: {stats.error}", file=sys.stderr)
        return 1
    return 0


def _follow(
    live: LiveClassifier,
    source: Source,
    pending: queue.Queue[Counted],
    watch: SourceWatch,
    *,
    seconds: float | None,
    give_up_s: float,
    echo: bool,
    t0: float,
) -> tuple[list[Counted], str | None]:
    """Run source and classifier until time is up, Ctrl-C, an error or a port gone for good.

    Prints events (stdout) and the source's notices (stderr). Returns the events and, when the
    port did not come back within ``give_up_s``, why the run ended.
    """
    events: list[Counted] = []
    lost: str | None = None

    def take(event: Counted) -> None:
        events.append(event)
        if echo:
            print(_describe(event, live.positive, t0), flush=True)

    def tell() -> None:
        for notice in watch.notices():
            print(f"hfw predict: {notice}", file=sys.stderr, flush=True)

    deadline = None if seconds is None else t0 + seconds
    try:
        with source, live:
            while deadline is None or time.monotonic() < deadline:
                tell()
                if watch.gone_for(time.monotonic()) >= give_up_s:
                    lost = (
                        f"{watch.last_loss}; it did not come back within {give_up_s:g} s, so "
                        "counting stopped. Plug the board in again (or pick another --port) "
                        "and rerun; --give-up waits longer."
                    )
                    break
                try:
                    take(pending.get(timeout=_POLL_S))
                except queue.Empty:
                    if live.error is not None:
                        break
    except KeyboardInterrupt:
        pass
    tell()
    while not pending.empty():  # counted while shutting down
        take(pending.get_nowait())
    return events, lost


def _fmt_ms(value: Any) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def _print_summary(summary: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary))
        return
    print(
        f"{summary['events']} events in {summary['seconds']:.1f} s, {summary['hops']} hops; "
        f"latency p50 {_fmt_ms(summary['latency_ms_p50'])}, "
        f"p95 {_fmt_ms(summary['latency_ms_p95'])}; "
        f"inference keeps up: {'yes' if summary['keeps_up'] else 'no'}"
    )
    if "precision" in summary:
        print(
            f"against the simulated truth ({summary['true_events']} events): "
            f"precision {summary['precision']:.2f}, recall {summary['recall']:.2f}"
        )


def register(subparsers: Subparsers) -> None:
    """Add the ``predict`` subcommand."""
    parser = subparsers.add_parser(
        "predict",
        help="count high-fives live with a trained run",
        description="Classify the live stream every hop with a trained run and count events. "
        "Without --port the simulated arm is used and the summary scores the counts "
        "against the motions it really made.",
    )
    add_run_arguments(parser)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--port", metavar="PATH", help="serial port or pyserial URL")
    where.add_argument(
        "--simulate", action="store_true", help="use the simulated arm (the default)"
    )
    parser.add_argument(
        "--seconds", type=float, metavar="S", help="stop after S seconds (default: Ctrl-C)"
    )
    parser.add_argument("--hop", type=float, default=0.2, metavar="S", help="seconds per hop")
    parser.add_argument(
        "--window", type=float, metavar="S", help="window length (default: the run's)"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        help="probability that counts (default: the run's operating point, else 0.8)",
    )
    parser.add_argument(
        "--min-gap",
        type=float,
        metavar="S",
        help="least seconds between counts (default: the run's operating point, else 1.0)",
    )
    parser.add_argument(
        "--consecutive",
        type=int,
        metavar="N",
        help="confident hops in a row needed to count (default: the run's operating point, else 1)",
    )
    parser.add_argument("--positive", default="high-five", help="class to count")
    parser.add_argument(
        "--backend",
        choices=("auto", "onnxruntime", "torch"),
        default="auto",
        help="inference path: ONNX Runtime on one thread when installed (auto), or torch",
    )
    parser.add_argument("--seed", type=int, default=0, help="simulated arm: random seed")
    parser.add_argument(
        "--events-per-minute",
        type=float,
        default=20.0,
        metavar="N",
        help="simulated arm: motions per minute (40 %% of them high-fives)",
    )
    parser.add_argument(
        "--give-up",
        type=float,
        default=10.0,
        metavar="S",
        help="stop with an error when the port has been gone S seconds (default 10)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON summary object")
    parser.set_defaults(func=_run)
