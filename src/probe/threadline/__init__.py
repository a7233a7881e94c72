"""Threadline's kernel-side probe (loaded with ``%load_ext threadline``)."""


def load_ipython_extension(ipython) -> None:  # noqa: ANN001 - IPython's shell
    """Nothing yet: the probe registers its magics here."""
