"""``dop schema``: JSON Schemas of a project's YAML files for editors (VS Code's YAML extension...).

models.py (attrs models as JSON Schema, by the structurer's rules), documents.py (the schema of each
file, with the kinds, triggers, destinations and engines of the installed plugins), write.py (the files).
"""
