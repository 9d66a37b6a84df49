"""The researchers' authoring tools behind ``runspine new``, ``check`` and ``strip``.

- :mod:`~runspine.authoring.scaffold`  ``runspine new``: a study's notebook, module and test
- :mod:`~runspine.authoring.checks`    ``runspine check``: a notebook against the contract
- :mod:`~runspine.authoring.strip`     ``runspine strip``: outputs and run metadata out

They read and write notebook files only; they run nothing (that is
:mod:`runspine.engine`). Imports: the foundation only.
"""
