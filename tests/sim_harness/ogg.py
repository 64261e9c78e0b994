"""Reading Ogg Opus files (RFC 7845): the packets, pages reassembled by their lacing values."""


def opus_packets(path, tags_required=True):
    """The audio packets of an Ogg Opus file, in order, as bytes (OpusHead and OpusTags left out).
    Raises ValueError on anything else; without tags_required a missing OpusTags is let pass."""
    with open(path, "rb") as f:
        data = f.read()
    packets, partial, pos = [], b"", 0
    while pos < len(data):
        if data[pos:pos + 4] != b"OggS" or pos + 27 > len(data):
            raise ValueError(f"{path}: no Ogg page at byte {pos}")
        segments = data[pos + 26]
        lacing = data[pos + 27:pos + 27 + segments]
        body = pos + 27 + segments
        for size in lacing:
            partial += data[body:body + size]
            body += size
            if size < 255:  # a packet ends here
                packets.append(partial)
                partial = b""
        pos = body
    tags = len(packets) > 1 and packets[1].startswith(b"OpusTags")
    if len(packets) < 2 or not packets[0].startswith(b"OpusHead") or (tags_required and not tags):
        raise ValueError(f"{path}: not an Ogg Opus file")
    return packets[2:] if tags else packets[1:]
