"""The build engine: typed notebook parameters (:mod:`~runspine.build.params`), discovery,
cache keys, planning, execution with papermill, atomic publishing and the manifest, the
worker pool (:mod:`~runspine.build.runner`), kernels (:mod:`~runspine.build.kernels`) and
parameter sweeps (:mod:`~runspine.build.sweep`).

Imports: the foundation, :mod:`runspine.site` (to render what it publishes) and the
notebook helpers' file writer; never a study (:mod:`runspine.studies`) or the statistics:
notebooks are run as files, whatever they compute.
"""
