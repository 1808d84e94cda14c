; Indentation for trig, in Helix's captures: the lines of a rule after its
; first one are indented one level, continuation lines of a trigger, a
; guard or a send step one more (the layout of `trig fmt`), and a
; parameter list or list split over lines indents its items.

[
  (rule_definition)
  (trigger)
  (send_action)
  (fallback_action)
  (guard)
  (params)
  (list)
] @indent

(params
  ")" @outdent)

(list
  "]" @outdent)
