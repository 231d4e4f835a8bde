"""The UK Essential Digital Skills framework: its skill areas and levels, the vocabulary courses, the directory,
certificates and reports share."""

from skills_hub.i18n import N_

EDS_AREAS = {
    "foundation": N_("Foundation skills"),
    "communicating": N_("Communicating"),
    "handling-information": N_("Handling information and content"),
    "transacting": N_("Transacting"),
    "problem-solving": N_("Problem solving"),
    "being-safe-online": N_("Being safe and legal online"),
}
LEVELS = {"foundation": N_("Foundation"), "life": N_("Life"), "work": N_("Work")}
