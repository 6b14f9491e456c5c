"""The Jinja environment of DOP's DAGs: project-bound loader, render limits, the original DOP's names."""
