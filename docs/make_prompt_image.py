"""Make docs/prompt.png, the README's picture of the prompt, from a real terminal.

    python3 docs/make_prompt_image.py             # capture, then render
    python3 docs/make_prompt_image.py --render    # render docs/prompt.ansi again

Capturing runs ``assume-role demo --shell zsh`` in a private tmux server,
types a few commands into it as a person would (assume a role with the MFA
code the demo prints, look at the status, switch roles, ask Tab for the
accounts) and saves the screen, colours included (``tmux capture-pane -e``),
as docs/prompt.ansi. Rendering draws that text cell by cell in a monospace
font into docs/prompt.png: the picture shows exactly what the terminal showed.

Needs tmux, zsh and the demo's dependencies for capturing, and Pillow for
rendering (``bash .ci/venv demo,docs python docs/make_prompt_image.py``). The font defaults to
Debian's DejaVu Sans Mono (package fonts-dejavu-core); --font picks another.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CAPTURE = HERE / "prompt.ansi"
IMAGE = HERE / "prompt.png"
COLUMNS, ROWS = 104, 17
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

# -- capture ---------------------------------------------------------------------


class Tmux:
    def __init__(self, columns: int, rows: int, command: list[str], env: dict[str, str], cwd: Path):
        self.socket = f"assume-role-docs-{os.getpid()}"
        self.env = env
        self.run("new-session", "-d", "-s", "docs", "-x", str(columns), "-y", str(rows), "-c", str(cwd), "--", *command)

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            env=self.env, check=True, capture_output=True, text=True, timeout=30,
        ).stdout

    def screen(self, colours: bool = False) -> str:
        return self.run("capture-pane", "-p", *(["-e"] if colours else []), "-t", "docs")

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.screen(), re.M)
            if match:
                return match
            if time.monotonic() > deadline:
                raise TimeoutError(f"{pattern!r} did not appear:\n{self.screen()}")
            time.sleep(0.1)

    def settle(self) -> None:
        """Wait until the screen stops changing (zsh draws the right prompt last)."""
        last = None
        while (text := self.screen(colours=True)) != last:
            last = text
            time.sleep(0.3)

    def type(self, text: str, *keys: str) -> None:
        self.run("send-keys", "-t", "docs", "-l", text)
        if keys:
            self.run("send-keys", "-t", "docs", *keys)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True)


def capture() -> str:
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "ASSUME_ROLE_", "TMUX"))
    }
    python_path = os.pathsep.join(filter(None, [str(ROOT / "plugin"), str(ROOT / "lab"), env.get("PYTHONPATH")]))
    env.update(TERM="xterm-256color", PYTHONPATH=python_path)
    # The demo starts in its sandbox home, so the prompt shows ~.
    command = ["sh", "-c", f'cd "$HOME" 2>/dev/null; exec "{sys.executable}" -m assume_role demo --shell zsh']
    tmux = Tmux(COLUMNS, ROWS, command, env, ROOT)
    try:
        code = tmux.wait_for(r"assume-role production read (\d{6}) ").group(1)
        tmux.wait_for(r"^demo:")
        tmux.type("cd; clear", "Enter")
        tmux.wait_for(r"\A\s*demo:~%\s*\Z")
        steps = [
            (f"assume-role production read {code}", r"production:read \d"),
            ("assume-role status", r"^MFA session:"),
            ("assume-role staging admin", r"staging:admin \d"),
        ]
        for command_line, done in steps:
            tmux.type(command_line, "Enter")
            tmux.wait_for(done)
            tmux.settle()
        tmux.type("assume-role ", "Tab")
        tmux.wait_for(r"production")
        tmux.settle()
        text = tmux.screen(colours=True)
        tmux.type("", "C-u")
        tmux.type("exit", "Enter")
        return text
    finally:
        tmux.close()


# -- render ----------------------------------------------------------------------

BACKGROUND = (30, 31, 41)
FOREGROUND = (220, 223, 228)
# The 16 ANSI colours, tuned for a dark background.
PALETTE = [
    (40, 42, 54), (255, 110, 103), (90, 247, 142), (243, 249, 157),
    (87, 199, 255), (255, 106, 193), (154, 237, 254), (241, 241, 240),
    (104, 104, 104), (255, 110, 103), (90, 247, 142), (243, 249, 157),
    (87, 199, 255), (255, 106, 193), (154, 237, 254), (255, 255, 255),
]
SGR = re.compile(r"\x1b\[([0-9;]*)m")
OTHER_ESCAPE = re.compile(r"\x1b(?:\[[0-9;?]*[A-Za-z]|\][^\x07]*\x07|[()][A-Z0-9])")


def _colour_256(n: int) -> tuple[int, int, int]:
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        levels = [0, 95, 135, 175, 215, 255]
        return levels[n // 36], levels[n // 6 % 6], levels[n % 6]
    grey = 8 + 10 * (n - 232)
    return grey, grey, grey


class Style:
    def __init__(self):
        self.fg = None
        self.bg = None
        self.bold = False

    def apply(self, params: str) -> None:
        codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(codes):
            code = codes[i]
            if code == 0:
                self.__init__()
            elif code == 1:
                self.bold = True
            elif code == 22:
                self.bold = False
            elif 30 <= code <= 37:
                self.fg = PALETTE[code - 30]
            elif 90 <= code <= 97:
                self.fg = PALETTE[code - 90 + 8]
            elif code == 39:
                self.fg = None
            elif 40 <= code <= 47:
                self.bg = PALETTE[code - 40]
            elif code == 49:
                self.bg = None
            elif code in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    colour, i = _colour_256(codes[i + 2]), i + 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    colour, i = tuple(codes[i + 2 : i + 5]), i + 4
                else:
                    colour = None
                if code == 38:
                    self.fg = colour
                else:
                    self.bg = colour
            i += 1

    def snapshot(self) -> tuple:
        return self.fg, self.bg, self.bold


def cells(text: str) -> list[list[tuple[str, tuple]]]:
    """Rows of (character, (fg, bg, bold)) from text with SGR colour sequences."""
    rows = []
    style = Style()
    for line in text.rstrip("\n").split("\n"):
        row = []
        position = 0
        for match in SGR.finditer(line):
            for ch in OTHER_ESCAPE.sub("", line[position : match.start()]):
                row.append((ch, style.snapshot()))
            style.apply(match.group(1))
            position = match.end()
        for ch in OTHER_ESCAPE.sub("", line[position:]):
            row.append((ch, style.snapshot()))
        rows.append(row)
    while rows and not "".join(ch for ch, _ in rows[-1]).strip():
        rows.pop()
    return rows


def render(text: str, path: Path, font_dir: Path = FONT_DIR, scale: int = 2) -> None:
    from PIL import Image, ImageDraw, ImageFont

    size = 14 * scale
    regular = ImageFont.truetype(str(font_dir / "DejaVuSansMono.ttf"), size)
    bold = ImageFont.truetype(str(font_dir / "DejaVuSansMono-Bold.ttf"), size)
    cell_w = regular.getlength("M")
    cell_h = round(size * 1.4)
    rows = cells(text)
    columns = max(COLUMNS, *(len(r) for r in rows))
    pad, bar = 18 * scale, 30 * scale
    width = round(pad * 2 + cell_w * columns)
    height = bar + pad * 2 + cell_h * len(rows)

    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=10 * scale, fill=BACKGROUND)
    draw.rectangle((0, bar - 1, width, bar), fill=(45, 47, 60))
    for n, colour in enumerate([(255, 95, 86), (255, 189, 46), (39, 201, 63)]):
        x, y, r = 20 * scale + n * 20 * scale, bar // 2, 6 * scale
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    for y, row in enumerate(rows):
        top = bar + pad + y * cell_h
        for x, (ch, (fg, bg, is_bold)) in enumerate(row):
            left = pad + x * cell_w
            if bg is not None:
                draw.rectangle((left, top, left + cell_w, top + cell_h), fill=bg)
            if ch != " ":
                draw.text((left, top + (cell_h - size) // 2), ch, font=bold if is_bold else regular,
                          fill=fg or FOREGROUND)
    image.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Capture the demo in tmux and render it to docs/prompt.png.")
    parser.add_argument("--render", action="store_true", help="only render the existing docs/prompt.ansi")
    parser.add_argument("--font-dir", type=Path, default=FONT_DIR, help="directory holding DejaVuSansMono*.ttf")
    args = parser.parse_args(argv)
    if not args.render:
        CAPTURE.write_text(capture())
        print(f"captured {CAPTURE.relative_to(ROOT)}")
    render(CAPTURE.read_text(), IMAGE, args.font_dir)
    print(f"rendered {IMAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
