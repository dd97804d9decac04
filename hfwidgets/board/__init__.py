"""Count on the wrist: a board model distilled from a run (distill, features, forest), its C
and Arduino sketch (csource, sketch, bundle), the boards it is sized for (targets) and the
compilers that check it (toolchain). ``hfw export --format board`` is `bundle.export_board`;
modules are imported by name (nothing is re-exported here, so importing the package costs
nothing)."""
