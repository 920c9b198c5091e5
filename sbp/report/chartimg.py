"""Dashboard charts (sbp.display.charts, Altair) rendered to PNG offline with vl-convert, which bundles Vega."""

from __future__ import annotations

import collections
import io
import json
import struct
import threading

import altair as alt

SCALE = 2  # pixels per CSS pixel: sharp on paper and on a projector
CACHED_IMAGES = 64  # the images of the last few reports (each under 100 kB)

_images: collections.OrderedDict[str, bytes] = collections.OrderedDict()
_images_lock = threading.Lock()


def png(chart: alt.TopLevelMixin, width: int, height: int | None = None) -> tuple[bytes, int, int]:
    """The chart with a plot of a fixed width (and optionally height) as PNG bytes with the image's pixel size.

    The dashboard's charts fit their container's width; a static image needs a number instead. Autosize 'pad'
    makes width the plot's own, and grows the image to hold the axes, titles and legends (with 'fit' a title
    wider than the chart would be cut off). The same chart of the same data (the Vega-Lite spec holds the data) is
    drawn once per process: preparing a report again, or in another format, reuses its images.
    """
    sizes = {"width": width} if height is None else {"width": width, "height": height}
    sized = chart.properties(autosize=alt.AutoSizeParams(type="pad", contains="padding"), **sizes)
    spec = sized.to_dict()
    key = json.dumps(spec, sort_keys=True, default=repr)
    with _images_lock:
        data = _images.get(key)
        if data is not None:
            _images.move_to_end(key)
    if data is None:
        data = _draw(spec)
        with _images_lock:
            _images[key] = data
            while len(_images) > CACHED_IMAGES:
                _images.popitem(last=False)
    w, h = png_size(data)
    return data, w, h


def _draw(spec: dict) -> bytes:
    import vl_convert

    return _palette(vl_convert.vegalite_to_png(spec, scale=SCALE))


def _palette(data: bytes) -> bytes:
    """The PNG with a 256-colour palette: a tenth of the size, no visible difference for flat-colour charts."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        out = io.BytesIO()
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(out, "PNG")
    return out.getvalue()


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG from its IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])
