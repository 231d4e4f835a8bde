"""The UK Essential Digital Skills framework: its skill areas and levels, the vocabulary courses, the directory,
certificates and reports share."""

EDS_AREAS = {
    "foundation": "Foundation skills",
    "communicating": "Communicating",
    "handling-information": "Handling information and content",
    "transacting": "Transacting",
    "problem-solving": "Problem solving",
    "being-safe-online": "Being safe and legal online",
}
LEVELS = {"foundation": "Foundation", "life": "Life", "work": "Work"}
