"""One module per study: the analysis a notebook shows, as plain functions.

Notebooks stay thin (narrative, parameters, calls); tests call these functions directly
to pin reproductions and claim verdicts without starting a kernel.
"""
