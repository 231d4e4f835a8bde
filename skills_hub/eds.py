"""The UK Essential Digital Skills framework: its skill areas and levels, the vocabulary courses, the directory,
certificates and reports share."""

def N_(message: str) -> str:
    """Marks a label for `pybabel extract`; pages translate it when they are drawn (`| translate`)."""
    return message


EDS_AREAS = {
    "foundation": N_("Foundation skills"),
    "communicating": N_("Communicating"),
    "handling-information": N_("Handling information and content"),
    "transacting": N_("Transacting"),
    "problem-solving": N_("Problem solving"),
    "being-safe-online": N_("Being safe and legal online"),
}
LEVELS = {"foundation": N_("Foundation"), "life": N_("Life"), "work": N_("Work")}
