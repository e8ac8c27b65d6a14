"""`studylog …`: every main job from the command line, `--json` for scripting.

Imports stay inside the handlers so `studylog --version` and the GUI start fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from studylog import __version__
from studylog.cli_progress import STAGES, StageProgress
from studylog.openmp import bound_openmp_spin

QUALITY_DEFAULT = 20


class CliError(Exception):
    """A user-facing failure: printed to stderr, exit status 1."""


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def _emit(args: argparse.Namespace, payload: dict, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(text)


def _service(args: argparse.Namespace):
    from studylog.service import StudyLogService

    vault = Path(args.vault).expanduser() if getattr(args, "vault", None) else None
    return StudyLogService(vault=vault)


def cmd_new(args: argparse.Namespace) -> int:
    service = _service(args)
    path, created = service.new_note(args.date or dt.date.today(), args.lang)
    _emit(args, {"path": str(path), "created": created},
          f"{'created' if created else 'exists, left as is'}: {path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    service = _service(args)
    report = service.import_folder(Path(args.source), dry_run=args.dry_run)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return 1 if report.count("error") else 0
    verb = "would import" if args.dry_run else "imported"
    for action in report.actions:
        flag = " (date from file time)" if action.date_source == "mtime" else ""
        line = f"{action.action:15} {action.source} -> {action.target}{flag}"
        print(line + (f"  [{action.message}]" if action.message else ""))
    summary = report.to_dict()
    print(f"{verb} {summary['copied']} notes ({summary['kept_both']} kept beside a different note of "
          f"the same date), {summary['identical']} already present, {summary['errors']} unreadable")
    return 1 if report.count("error") else 0


def cmd_open(args: argparse.Namespace) -> int:
    from studylog.config import load_settings, save_settings
    from studylog.notes.vault import Vault

    vault = Vault(Path(args.folder).expanduser().resolve())
    vault.check()
    settings = load_settings()
    settings.vault = str(vault.root)
    settings.recent_vaults = [str(vault.root)] + [v for v in settings.recent_vaults if v != str(vault.root)][:9]
    path = save_settings(settings)
    count = sum(1 for _ in vault.note_files())
    _emit(args, {"vault": str(vault.root), "notes": count, "settings": str(path)},
          f"vault is now {vault.root} ({count} Markdown files, used in place); saved to {path}")
    return 0


def _progress_printer(enabled: bool):
    if not enabled:
        return None

    def show(done: int, total: int, message: str) -> None:
        print(f"\r{message}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    return show


def cmd_index(args: argparse.Namespace) -> int:
    service = _service(args)
    report = service.index(progress=_progress_printer(not args.json and sys.stderr.isatty()), rebuild=args.rebuild)
    for line in report.errors + report.warnings:
        print(f"warning: {line}", file=sys.stderr)
    s = report.summary()
    _emit(args, s, f"notes {s['notes']}, chunks {s['chunks']}, embedded {s['embedded']}, "
                   f"deleted {s['deleted']}, {s['seconds']:.2f} s")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    service = _service(args)
    service.preload_tokenizer()
    service.vault.check()
    if service.store().count() == 0:
        raise CliError("the index is empty: run `studylog index` first")
    for query in args.queries:
        result = service.search(query, k=args.k, since=args.since, until=args.until, mode=args.mode,
                                today=args.today)
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
            continue
        scope = f"  [{result.scope.label}]" if result.scope else ""
        print(f"» {query}{scope}")
        if result.message:
            print(f"  {result.message}")
        for n, hit in enumerate(result.hits, 1):
            print(f"  {n}. {hit.date}  {hit.heading_path or hit.section}  ({hit.path}:{hit.start_line + 1}, {hit.score:.4f})")
            print(f"     {hit.snippet(160)}")
    return 0


def cmd_related(args: argparse.Namespace) -> int:
    service = _service(args)
    service.preload_tokenizer()
    service.vault.check()
    if service.store().count() == 0:
        raise CliError("the index is empty: run `studylog index` first")
    result = service.related(args.note, k=args.k)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    print(f"» related to {result.note} ({result.date})")
    if result.message:
        print(f"  {result.message}")
    for n, hit in enumerate(result.hits, 1):
        print(f"  {n}. {hit.date}  {hit.heading_path or hit.section}  ({hit.path}:{hit.start_line + 1}, {hit.score:.4f})")
        if hit.shared_terms:
            print(f"     shared: {', '.join(hit.shared_terms)}")
        print(f"     {hit.snippet(160)}")
    return 0


def cmd_quiz(args: argparse.Namespace) -> int:
    service = _service(args)
    if args.grade:
        card_id, grade = args.grade
        due = service.quiz_grade(card_id, grade)
        _emit(args, {"id": card_id, "due": due.isoformat()},
              f"{card_id}: {grade}; next due {due.astimezone().strftime('%Y-%m-%d %H:%M')}")
        return 0
    cards = service.quiz_cards(args.n)
    if args.json:
        print(json.dumps({"cards": [card.to_json() for card in cards]}, ensure_ascii=False))
        return 0
    counts = service.quiz_store().counts()
    print(f"» quiz: {counts.due} due, {counts.new} new, {counts.total} cards")
    if not cards:
        print("  no cards yet: write definitions, fixes or numbers in your notes")
    for n, card in enumerate(cards, 1):
        due = card.due.astimezone().strftime("%Y-%m-%d %H:%M") if card.due else "new"
        print(f"  {n}. [{card.id}] ({due})  {card.source.date}  {card.source.section}"
              f"  ({card.source.path}:{card.source.line + 1})")
        print(f"     Q: {card.question}")
        print(f"     A: {card.answer}")
    print("  grade one: studylog quiz --grade ID again|hard|good|easy")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    service = _service(args)
    service.preload_tokenizer()
    service.vault.check()
    service.generator_spec = args.model
    service.device = args.device
    question = " ".join(args.question)
    attention = None
    with StageProgress(summary=not args.json) as progress:
        answer, streamed = _follow_stream(
            service.ask_stream(question, max_new_tokens=args.max_new_tokens), progress,
            echo=not args.json, is_stage=lambda e: e.text in STAGES or e.fraction is not None)
        if answer is None:
            raise CliError("no answer was produced")
        if args.attention:
            from studylog.attention_export import save_answer_attention

            if streamed:
                print(file=sys.stdout, flush=True)  # the bar starts on a line of its own
            progress.update("capturing attention")
            saved, fidelity = save_answer_attention(service, answer, Path(args.attention))
            progress.end_stage()
            attention = {"path": str(saved), "fidelity": fidelity.to_json()}
    if attention is not None and not args.json:
        print(f"attention saved to {attention['path']} ({_fidelity_text(fidelity)})", file=sys.stderr)
    if args.json:
        payload = answer.to_json()
        if attention is not None:
            payload["attention"] = attention
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    if answer.fallback and streamed:
        print("\n\n" + answer.text)
    elif answer.reattributed_citations and streamed:
        # The stream showed the model's own citations; the final text points each at its source.
        print("\n\n(citations corrected to the notes the sentences came from)\n" + answer.text)
    print()
    if answer.sources:
        print("\nSources:")
        for source in answer.sources:
            print(f"  [{source.n}] {source.date}  {source.heading_path or source.section}  ({source.path}:{source.start_line + 1})")
    if answer.evidence:
        print("Evidence (quoted from your notes):")
        for quote in answer.evidence:
            print(f"  [{quote.n}] {quote.date}: \u201c{quote.quote}\u201d")
    print(f"({answer.model} on {answer.device}: {answer.prompt_tokens} prompt tokens, {answer.new_tokens} new, "
          f"first token {answer.seconds_to_first_token:.1f} s, total {answer.seconds:.1f} s)", file=sys.stderr)
    return 0


def _follow_stream(events, progress: StageProgress, echo: bool, is_stage) -> tuple[object, bool]:
    """Drive an ask/review event stream: stages to `progress`, other status messages on their
    own stderr line, tokens to stdout when `echo`; an error event raises CliError.
    Returns (the done event's answer or None, whether any token was printed)."""
    result, streamed = None, False
    for event in events:
        if event.kind == "status" and is_stage(event):
            progress.update(event.text, event.fraction)
        elif event.kind == "status":  # a message, not a stage: worth its own line
            progress.end_stage()
            print(f"studylog: {event.text}", file=sys.stderr, flush=True)
        elif event.kind == "token":
            progress.end_stage()
            if echo:
                print(event.text, end="", flush=True)
                streamed = True
        elif event.kind == "error":
            raise CliError(event.text)
        elif event.kind == "done":
            result = event.answer
    return result, streamed


def _fidelity_text(fidelity) -> str:
    """One phrase for a `Fidelity`: what the answer rows are and how far the replay drifted."""
    if fidelity.method == "recorded":
        text = "answer rows recorded while generating: exact"
        if fidelity.replay_max_abs_diff is not None:
            text += (f"; the replay behind the prompt × prompt views differs by up to "
                     f"{fidelity.replay_max_abs_diff:.2g}"
                     + ("" if fidelity.replay_tokens_match else " and does not predict the answer"))
        return text
    return ("replayed, not recorded: " + ("predicts the answer's tokens" if fidelity.answer_tokens_match
                                          else "does NOT predict the answer's tokens"))


def cmd_review(args: argparse.Namespace) -> int:
    from studylog.rag.review import HEADINGS, PARTS

    service = _service(args)
    service.preload_tokenizer()
    service.vault.check()
    service.generator_spec = args.model
    service.device = args.device
    # The same one-line-per-stage progress as `ask` (cli_progress), not a line per event.
    with StageProgress(summary=not args.json) as progress:
        review, streamed = _follow_stream(
            service.review_stream(week=args.week, month=args.month, max_new_tokens=args.max_new_tokens),
            progress, echo=not args.json, is_stage=lambda _event: True)
    if review is None:
        raise CliError("no review was produced")
    if args.save and not review.declined:
        service.save_review(review)
    if args.json:
        print(json.dumps(review.to_json(), ensure_ascii=False))
        return 0
    if streamed and (review.fallback or review.removed_citations or review.reattributed_citations
                     or review.no_note_citations):
        print("\n\n(checked against your notes:)\n" + review.text)
    print()
    if review.sources:
        print("\nSources:")
        for day in review.sources:
            print(f"  [{day.n}] {day.date.isoformat()}  {', '.join(day.sections)}  ({day.path})")
    if review.evidence and not review.fallback:
        print("Evidence (quoted from your notes):")
        for part in PARTS:
            for quote in review.evidence.get(part, []):
                print(f"  {HEADINGS[review.language][part]} [{quote.n}] {quote.date}: \u201c{quote.quote}\u201d")
    if review.saved:
        print(f"saved to {review.saved}")
    print(f"({review.label}: {len(review.days)} notes, {review.prompt_tokens} prompt tokens, "
          f"{review.new_tokens} new, {review.seconds:.1f} s)", file=sys.stderr)
    return 0


def cmd_attention(args: argparse.Namespace) -> int:
    from studylog.attention.explore import parse_head

    service = _service(args)
    service.generator_spec = args.model
    service.device = args.device
    result = service.text_attention(" ".join(args.text), args.layer, parse_head(args.head))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    where = "rollout over all layers" if result.layer is None else f"layer {result.layer}, head {result.head}"
    print(f"{result.model}: {len(result.tokens)} tokens, {result.layers} layers × {result.heads} heads "
          f"({result.kv_heads} KV heads); {where}")
    for i, label in enumerate(result.tokens):
        row = result.matrix[i, : i + 1]
        top = sorted(range(i + 1), key=lambda j: -row[j])[:3]
        print(f"  {label!r:>14} → " + ", ".join(f"{result.tokens[j]!r} {row[j]:.2f}" for j in top))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    checks = _service(args).doctor()
    if args.json:
        print(json.dumps([c.__dict__ for c in checks], ensure_ascii=False))
    else:
        for c in checks:
            print(f"[{'ok' if c.ok else '!!'}] {c.name}: {c.detail}" + (f"\n      → {c.fix}" if c.fix and not c.ok else ""))
    return 0 if all(c.ok for c in checks) else 1


def cmd_gui(args: argparse.Namespace) -> int:
    from studylog.gui.app import run_gui

    return run_gui(vault=args.vault, screenshot=args.screenshot)


def cmd_bench(args: argparse.Namespace) -> int:
    from studylog.bench import run_bench

    return run_bench(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studylog", description="Your study log: write, search, ask.")
    parser.add_argument("--version", action="version", version=f"studylog {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--vault", metavar="DIR", help="vault folder (default: settings or STUDYLOG_VAULT)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("gui", parents=[common], help="open the desktop app (the default)")
    p.add_argument("--screenshot", metavar="PATH", help="save a PNG of the main window once painted, then exit")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("new", parents=[common], help="create a day's note from the template")
    p.add_argument("--date", type=_date, help="YYYY-MM-DD (default today)")
    p.add_argument("--lang", choices=["ko", "en"], help="template language")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("import", parents=[common], help="copy a folder of Markdown notes into the vault")
    p.add_argument("source", metavar="DIR")
    p.add_argument("--dry-run", action="store_true", help="only list what would happen")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("open", parents=[common], help="use a folder of notes as the vault, in place")
    p.add_argument("folder", metavar="DIR")
    p.set_defaults(func=cmd_open)

    p = sub.add_parser("index", parents=[common], help="index new and changed notes")
    p.add_argument("--rebuild", action="store_true", help="drop the index and embed everything again")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", parents=[common], help="hybrid search over all notes")
    p.add_argument("queries", nargs="+", metavar="QUERY")
    p.add_argument("-k", type=int, default=5, help="results per query (default 5)")
    p.add_argument("--since", type=_date, metavar="D")
    p.add_argument("--until", type=_date, metavar="D")
    p.add_argument("--mode", choices=["hybrid", "vector", "keyword"], default="hybrid")
    p.add_argument("--today", type=_date, metavar="D",
                   help="resolve relative dates (지난주, last month) against this day (default: today)")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("related", parents=[common], help="the past notes most related to a note")
    p.add_argument("note", metavar="DATE|PATH", help="the note: its date (YYYY-MM-DD) or its path")
    p.add_argument("-k", type=int, default=5, help="how many related notes (default 5)")
    p.set_defaults(func=cmd_related)

    p = sub.add_parser("quiz", parents=[common], help="review cards drawn from your notes (spaced repetition)")
    p.add_argument("-n", type=int, default=5, help="how many cards (default 5): due ones, then new ones")
    p.add_argument("--grade", nargs=2, metavar=("ID", "GRADE"), help="grade a card: again, hard, good or easy")
    p.set_defaults(func=cmd_quiz)

    p = sub.add_parser("ask", parents=[common], help="ask your notes; the answer streams, then its sources")
    p.add_argument("question", nargs="+", metavar="QUESTION")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default: setting)")
    p.add_argument("--model", help="catalogue key, local folder or hub id (default: setting)")
    p.add_argument("--max-new-tokens", type=int, default=None, metavar="N")
    p.add_argument("--attention", metavar="DIR", help="also save the answer's attention for later viewing")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("review", parents=[common], help="a week's or a month's retrospective, cited to its days")
    period = p.add_mutually_exclusive_group(required=True)
    period.add_argument("--week", type=_date, metavar="DATE", help="the Monday–Sunday week containing DATE")
    period.add_argument("--month", metavar="YYYY-MM", help="a calendar month")
    p.add_argument("--save", action="store_true", help="save it in the vault as reviews/2026-W42.md (never overwrites)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default: setting)")
    p.add_argument("--model", help="catalogue key, local folder or hub id (default: setting)")
    p.add_argument("--max-new-tokens", type=int, default=None, metavar="N")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("attention", parents=[common], help="the model's attention over any text")
    p.add_argument("text", nargs="+", metavar="TEXT")
    p.add_argument("--layer", type=int, default=None, help="layer (default: the last; negative counts from the end)")
    p.add_argument("--head", default="mean", help="head number, mean, max or rollout (default mean)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--model", help="catalogue key, local folder or hub id")
    p.set_defaults(func=cmd_attention)

    p = sub.add_parser("doctor", parents=[common], help="check the installation")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("bench", parents=[common], help="measure (index, search, ask, attention, gpu, gui, related, quiz, review, quant)")
    p.add_argument("what", choices=["index", "search", "ask", "attention", "gpu", "gui", "related", "quiz", "review", "quant"])
    p.add_argument("--notes", type=int, default=1000, help="size of the generated vault (index bench; 0 skips it)")
    p.add_argument("--fixtures", metavar="DIR", help="fixtures vault (default ../shared/fixtures/vault)")
    p.add_argument("--out", metavar="DIR", help="work folder (default: a temp folder)")
    p.add_argument("--model", help="ask, attention, gpu and quant benches: generator (default: setting)")
    p.add_argument("--new-tokens", type=int, default=64,
                   help="ask bench: tokens for the overhead run; gpu bench: for the decoding rate")
    p.add_argument("--quality", type=int, default=QUALITY_DEFAULT, metavar="N",
                   help="ask bench: answerable questions to score (plus every unanswerable one); 0 skips")
    p.add_argument("--precisions", default="",
                   help="ask bench: e.g. fp32,int8-dynamic,bf16; gpu bench: default fp16,bf16 (bf16 where supported)")
    p.add_argument("--device", help="gpu bench: cuda (default) or cuda:N; cpu runs the same steps as a dry run")
    p.add_argument("--precision", default="", help="ask bench: the generator's precision for the whole run")
    p.add_argument("--baseline", choices=["none", "llama-cpp"], default="none",
                   help="ask bench: also run llama.cpp on the same GGUF and prompt, side by side "
                   "(needs the bench extra)")
    p.add_argument("--baseline-answers", type=int, default=8, metavar="N",
                   help="ask bench with a baseline: real answers both engines decode, token by "
                   "token and with prompt-lookup drafts (default 8; 0 skips)")
    p.add_argument("--weeks", default="", help="review bench: dates, one per week (default 2026-10-14,2026-10-21,2026-11-04)")
    p.add_argument("--recheck", metavar="RUN.json", help="review bench: re-apply the checks to a recorded run")
    p.add_argument("--prompt-tokens", type=int, default=1024, help="attention bench (default 1024)")
    p.add_argument("--answer-tokens", type=int, default=256, help="attention bench (default 256)")
    p.add_argument("--positions", type=int, default=200,
                   help="quant bench: last positions compared with float32 (default 200)")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    bound_openmp_spin()  # before torch, Kiwi or the embedder start OpenMP
    # Our own progress lines say what is happening; library progress bars only add noise.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # tqdm reads TQDM_* once, when it is first imported (transformers imports it): set before
    # any import, this silences every library bar (the GGUF converter's too); ours opt back in.
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args = parser.parse_args(["gui", *(argv if argv is not None else sys.argv[1:])])
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("studylog: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        print(f"studylog: error: {exc}", file=sys.stderr)
        return 1


def _is_user_error(exc: Exception) -> bool:
    """Errors whose message tells the user what to do (no traceback). Imported only here, so
    starting the GUI does not pay for the index and model modules."""
    from studylog.index.embedders import EmbedderError
    from studylog.index.store import IndexError_
    from studylog.notes.model import NoteError
    from studylog.notes.vault import VaultError
    from studylog.rag.weights import ModelError

    return isinstance(exc, CliError | VaultError | NoteError | IndexError_ | EmbedderError | ModelError | ValueError)


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())
