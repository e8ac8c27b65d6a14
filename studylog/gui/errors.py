"""Turn any failure into what the user needs: what happened, and what to do about it.

Core exceptions are recognised by class name (walking the MRO) so this module imports no
core code: the GUI thread never pays for importing the index or model packages.
"""

from __future__ import annotations

from dataclasses import dataclass

from studylog.gui.i18n import tr


@dataclass
class UserError:
    title: str
    detail: str
    fix: str
    action: str = ""  # what the banner's button does: "retry-save", "settings", "rebuild", "create-vault", …
    severity: str = "error"  # error / warning / info
    cause: str = ""  # what failed ("save", "index", …): the banner drops it when that next succeeds


def _titles() -> dict[str, str]:
    return {
        "save": tr("Could not save the note"),
        "open": tr("Could not open the note"),
        "list": tr("Could not read the vault"),
        "new": tr("Could not create the note"),
        "index": tr("Indexing failed"),
        "search": tr("Search failed"),
        "ask": tr("The answer failed"),
        "warm_up": tr("The answer model could not be loaded"),
        "import": tr("Import failed"),
        "settings": tr("Settings problem"),
        "service": tr("StudyLog could not start its engine"),
    }


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def describe_error(exc: BaseException, doing: str) -> UserError:
    """What to tell the user about `exc`, raised while `doing`; the banner clears it once
    `doing` succeeds again (its cause is gone)."""
    error = _describe(exc, doing)
    error.cause = doing
    return error


# Command-line advice in core messages ("…: pip install X", "run `studylog index`",
# "(create it with `studylog new`, or pass --vault DIR)"). The CLI shows it as is; the GUI
# cuts it off and gives its own fix beside the message.
_CLI_MARKERS = ("pip install", "`studylog", "studylog doctor", "studylog index", "--vault", "chroma run",
                "hf download", "huggingface-cli")
_CLAUSE_BREAKS = (": ", "; ", " (", ", ", " — ")


def gui_detail(detail: str) -> str:
    """`detail` up to the clause that tells the user to run a command ("" if it is all advice)."""
    lower = detail.lower()
    found = [lower.find(marker) for marker in _CLI_MARKERS if marker in lower]
    if not found:
        return detail
    at = min(found)
    cut = max(detail.rfind(mark, 0, at) for mark in _CLAUSE_BREAKS)
    return detail[:cut].rstrip(" :;,(—") if cut > 0 else ""


def ask_failure_text(code: str, text: str, indexing: bool) -> str:
    """What the Ask panel says when the service ends an answer with an error event: by its
    `code`, in the GUI's words; the event's own text is worded for the command line."""
    if code == "not_indexed":
        if indexing:
            return tr("Your notes are still being indexed; ask again once indexing has finished (its progress "
                      "is in the status bar).")
        return tr("No notes are indexed yet. Write a note, or rebuild the index in Settings, then ask again.")
    if code == "model_unavailable":
        detail = gui_detail(text.removeprefix("the model could not be loaded: "))
        return (tr("The answer model could not be loaded") + (f": {detail}" if detail else "") + ". "
                + tr("Choose another answer model or device in Settings. Writing and search keep working."))
    return gui_detail(text) or tr("The answer failed")


def _vault_detail(detail: str) -> str:
    """The core's vault messages speak to the command line (`--vault DIR`); say it in the GUI's terms."""
    if "does not exist" in detail and detail.startswith("vault folder "):
        folder = detail.removeprefix("vault folder ").split(" does not exist", 1)[0]
        return tr("The vault folder {path} does not exist.").format(path=folder)
    return detail


def _describe(exc: BaseException, doing: str) -> UserError:
    names = _names(exc)
    title = _titles().get(doing, tr("Something went wrong"))
    raw = str(exc) or type(exc).__name__
    detail = gui_detail(raw) or type(exc).__name__
    if "VaultError" in names:
        if doing == "save":
            return UserError(title, detail, tr("Your text is still in the editor and will be saved again on the "
                                               "next change. Check that the vault folder exists and is writable, "
                                               "or choose another vault in Settings."), "retry-save")
        if _vault_detail(raw) != raw:  # the folder is missing: one click creates it
            return UserError(title, _vault_detail(raw),
                             tr("Create the folder, or choose another vault in Settings."), "create-vault")
        return UserError(title, detail, tr("Check the vault folder, or choose another one in Settings."), "settings")
    if "NoteError" in names:
        return UserError(title, detail, tr("The file may be damaged or not text. Open it in another editor to "
                                           "check it; other notes are not affected."))
    if "SettingsError" in names:
        return UserError(tr("The settings file is broken"), detail,
                         tr("Fix or delete the file; StudyLog uses the defaults until then."), "settings")
    if names & {"ModelNotFoundError", "ModelError", "WeightsError", "ModelLoadError", "DeviceError"}:
        return UserError(title, detail, tr("Choose another answer model or device in Settings, or reinstall "
                                           "StudyLog with its bundled models. Writing and search keep working."),
                         "settings")
    if "EmbedderError" in names:
        return UserError(title, detail, tr("The embedding model is missing or broken. Reinstall StudyLog or "
                                           "choose another embedder in Settings. Writing notes keeps working."),
                         "settings")
    if "IndexCorruptError" in names:
        return UserError(tr("The search index is damaged"), detail,
                         tr("Rebuild it from your notes (nothing is lost: the index is derived from them)."),
                         "rebuild")
    if "IndexError_" in names:
        return UserError(title, detail, tr("Check the Chroma settings (embedded, or a running server), then "
                                           "rebuild the index."), "settings")
    if names & {"ConnectionError", "TimeoutError"}:
        return UserError(title, detail, tr("Cannot reach the Chroma server. Check that it is running at the "
                                           "address given in Settings, or switch to the embedded store there."),
                         "settings")
    if "MemoryError" in names:
        return UserError(title, tr("Not enough memory."), tr("Choose a smaller model in Settings or close other "
                                                           "programs."), "settings")
    if "ModuleNotFoundError" in names or "ImportError" in names:
        return UserError(title, detail, tr("A component of StudyLog is missing. Reinstall StudyLog; your notes "
                                           "are not affected."))
    if "OSError" in names:
        return UserError(title, detail, tr("Check that the file or folder exists and that you may write to it."))
    return UserError(title, f"{type(exc).__name__}: {detail}",
                     tr("Try again; if it keeps failing, restart StudyLog. Your notes are plain files in the "
                        "vault folder and are not affected."))
