"""The reader's site: one HTML report per executed notebook
(:mod:`~runspine.site.report`, nbconvert template in ``templates/``), the index and the
claims page (:mod:`~runspine.site.index`).

Imports: the foundation (:mod:`runspine.paths`), nbconvert, jinja2; never
:mod:`runspine.engine`, a study or the statistics. The build calls into it to publish.
"""
