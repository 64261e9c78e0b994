#!/usr/bin/python3
"""Counts the Opus packets of real audio in an Ogg Opus file: keep-alive silence and DTX frames
are a few bytes, speech frames are larger. Prints the count. Usage: voiced_packets.py FILE.ogg"""
import sys


def voiced_packets(path, min_size=20):
    data = open(path, "rb").read()
    pos, packets, current = 0, [], 0
    while data.startswith(b"OggS", pos) and pos + 27 <= len(data):
        segments = data[pos + 26]
        table = data[pos + 27:pos + 27 + segments]
        pos += 27 + segments
        for lace in table:
            current += lace
            pos += lace
            if lace < 255:  # a lacing value below 255 ends a packet
                packets.append(current)
                current = 0
    # The first two packets are the OpusHead and OpusTags headers.
    return sum(1 for size in packets[2:] if size >= min_size)


if __name__ == "__main__":
    print(voiced_packets(sys.argv[1]))
