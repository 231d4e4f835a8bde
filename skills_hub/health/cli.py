"""`flask doctor`: which scripts this server can print on certificates and login cards."""

from __future__ import annotations

import sys

import click

from skills_hub import fonts
from skills_hub.courses import audio


@click.command("doctor")
def doctor() -> None:
    """Say which scripts this server can print, and with which fonts. Exits 1 when one cannot be printed."""
    click.echo("Scripts this server can print on certificates and login cards:")
    report = fonts.coverage()
    for script in report:
        if script.missing_from_ours == 0:
            answer, how = "yes", "our fonts: " + ", ".join(script.ours)
        elif script.system:
            answer, how = "yes", "system fonts: " + ", ".join(script.system[:3])
        else:
            answer = "NO"
            how = (f"{script.missing_from_ours} of its {script.letters} letters are in no font here"
                   f" ({fonts.INSTALL_HINT})")
        click.echo(f"  {answer:3}  {script.script}: {how}")
    extra = fonts.system_fonts_for_language("zh-cn") + fonts.system_fonts_for_language("ja")
    click.echo("Beyond these sets (rare ideographs, other scripts), the system's fonts through fontconfig: "
               + (", ".join(sorted(set(extra))[:4]) if extra else "none with Chinese or Japanese")
               + ". A character no font has fails the render, naming the character.")
    missing = audio.tools_missing()
    click.echo("Lessons read aloud on the server (English, Urdu, Polish): "
               + (f"no: install Debian's {' and '.join(missing)}; browsers' own voices still read them" if missing
                  else "yes, with espeak-ng and opusenc"))
    if not all(script.printable for script in report):
        sys.exit(1)
