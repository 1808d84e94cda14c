; Text objects for trig, in Helix's captures: a rule is a "function"
; (`maf` selects it, `]f` goes to the next one), a parameter of `with (…)`
; or an item of a list is a "parameter", and comments are comments.

(rule_definition) @function.around

(params
  (param) @parameter.inside)

(list
  (_) @parameter.inside)

(comment) @comment.inside

(comment)+ @comment.around
