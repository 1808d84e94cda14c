; Scopes for trig: an alias (`as cart`) is defined by its rule and used by
; the paths that start with it (`cart.value`). The suffix of the definition
; capture is the highlight Helix gives the references.

(rule_definition) @local.scope

(alias
  name: (identifier) @local.definition.variable)

(path
  .
  (identifier) @local.reference)
