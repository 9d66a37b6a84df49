"""runspine: re-analyses of the studies behind advice on running and low back pain.

The package is organised one concern per module:

- :mod:`runspine.paths`     path constants (project root, data, notebooks, reports)
- :mod:`runspine.data`      load and validate the Frictionless data package
- :mod:`runspine.summary`   statistics computed from published summary data
- :mod:`runspine.power`     power and minimum detectable effects
- :mod:`runspine.simulate`  individual-level data with exact published moments
- :mod:`runspine.claims`    verdicts on the popular claims
- :mod:`runspine.plots`     seaborn/matplotlib figures
- :mod:`runspine.results`   the one call notebooks use to record results and tables
- :mod:`runspine.params`    typed notebook parameters (inspection and coercion)
- :mod:`runspine.runner`    execute notebooks (papermill) with the project interpreter
- :mod:`runspine.report`    render reader HTML and the index
- :mod:`runspine.cli`       the ``runspine`` command

Importing the package has no side effects.
"""

__version__ = "0.1.0"
