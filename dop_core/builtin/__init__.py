"""DOP's own task types, triggers and engines: plugins registered through the same hooks as anyone's."""
