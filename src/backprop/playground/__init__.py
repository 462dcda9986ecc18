"""The backprop playground: watch backpropagation learn in the browser, on the real engine.

``backprop playground`` (or ``backprop.playground.serve()``) starts a local web server and
opens its page. Everything the page shows is computed here, by ``bp.Network``, ``net.fit``
and ``bp.explain``; the page only draws it.

* :mod:`.limits`: every bound on what a page may ask;
* :mod:`.config`: the page's settings, checked;
* :mod:`.datasets`: the 2-D data sets, split, scaled, and the input features;
* :mod:`.session`: one tab's data, network, optimizer and history, and the messages it answers;
* :mod:`.views` and :mod:`.explaining`: what the page draws, as JSON;
* :mod:`.export`: the model file and the Python script a page downloads;
* :mod:`.server` and :mod:`.serving`: the Starlette app and uvicorn (optional dependencies:
  ``pip install 'backprop[playground]'``).
"""

from backprop.playground.serving import serve

__all__ = ["serve"]
