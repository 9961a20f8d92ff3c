#!/usr/bin/env python3
"""Render a terminal capture (tmux capture-pane -e -p) to a PNG, for the README's screenshot.

Usage: scripts/screenshot.py CAPTURE.txt COLS ROWS OUT.png
Needs: pip install pillow pyte; the DejaVu Sans Mono font (Debian: fonts-dejavu-core).
"""
import sys

import pyte
from PIL import Image, ImageDraw, ImageFont

PALETTE = {
    "black": (40, 42, 54), "red": (220, 70, 70), "green": (80, 200, 120), "brown": (220, 190, 80),
    "yellow": (220, 190, 80), "blue": (90, 140, 230), "magenta": (200, 110, 210), "cyan": (80, 200, 210),
    "white": (220, 220, 220), "brightblack": (110, 110, 120), "brightred": (255, 110, 110),
    "brightgreen": (120, 240, 150), "brightyellow": (250, 230, 120), "brightblue": (130, 170, 255),
    "brightmagenta": (230, 150, 240), "brightcyan": (130, 230, 240), "brightwhite": (250, 250, 250),
}
FG, BG = (220, 220, 220), (24, 26, 33)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"


def color(name, default):
    if name == "default":
        return default
    if name in PALETTE:
        return PALETTE[name]
    if len(name) == 6:
        try:
            return tuple(int(name[i:i + 2], 16) for i in (0, 2, 4))
        except ValueError:
            pass
    return default


def main():
    src, cols, rows, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    screen = pyte.Screen(cols, rows)
    stream = pyte.Stream(screen)
    with open(src, encoding="utf-8", errors="replace") as f:
        stream.feed(f.read().rstrip("\n").replace("\n", "\r\n"))
    size = 15
    font, bold = ImageFont.truetype(FONT, size), ImageFont.truetype(BOLD, size)
    cw = round(font.getlength("M"))
    ch = size + 4
    img = Image.new("RGB", (cols * cw + 16, rows * ch + 16), BG)
    draw = ImageDraw.Draw(img)
    for y in range(rows):
        line = screen.buffer[y]
        for x in range(cols):
            c = line[x]
            fg, bg = color(c.fg, FG), color(c.bg, BG)
            if c.reverse:
                fg, bg = bg, fg
            px, py = 8 + x * cw, 8 + y * ch
            if bg != BG:
                draw.rectangle([px, py, px + cw, py + ch], fill=bg)
            if c.data.strip():
                draw.text((px, py + 1), c.data, font=bold if c.bold else font, fill=fg)
    img.save(out)


if __name__ == "__main__":
    main()
