"""Write resources/alert.wav: the manager view's alert sound (two short tones, 0.35 s, mono
16-bit 22.05 kHz), made with the standard library so the repository ships no foreign audio.

Usage: python scripts/make_alert_sound.py
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATE = 22050
#: (frequency Hz, seconds): a rising pair, like a door chime
TONES = ((880.0, 0.15), (0.0, 0.05), (1318.5, 0.15))


def samples() -> list[int]:
    out: list[int] = []
    for frequency, seconds in TONES:
        count = int(RATE * seconds)
        for n in range(count):
            fade = min(1.0, n / (RATE * 0.01), (count - n) / (RATE * 0.02))  # no clicks
            value = math.sin(2 * math.pi * frequency * n / RATE) if frequency else 0.0
            out.append(int(0.5 * 32767 * fade * value))
    return out


def main() -> None:
    path = ROOT / "resources" / "alert.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(b"".join(struct.pack("<h", s) for s in samples()))
    print(path)


if __name__ == "__main__":
    main()
