"""What a study notebook imports besides its study module: set-up, captioned tables and
figures, the footer (:mod:`~runspine.notebook.helpers`, imported as ``nb``), seaborn
figures (:mod:`~runspine.notebook.plots`) and the one call that records results and tables
(:mod:`~runspine.notebook.results`).

Imports: the foundation (:mod:`runspine.paths`, :mod:`runspine.data`), pandas, matplotlib,
seaborn, IPython; never :mod:`runspine.engine` or :mod:`runspine.site`.
"""
