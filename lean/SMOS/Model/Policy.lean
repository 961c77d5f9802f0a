import SMOS.Util
import SMOS.Model.Basic

/-!
# The policy

The emitter expands every rule of the policy language into tuples, with attributes resolved:

* `allow` holds the permissions the policy grants on server objects, after `deny` rules
  are taken away (so it is exactly what the policy server must permit);
* `kernelAllow` holds the same for kernel objects: a component of sid `subject` may hold a cap
  with `right` to a kernel object of sid `object` and kind `kind`;
* `neverallow` / `kernelNeverallow` are the expanded `neverallow` rules;
* `flows` holds the allowed (source label, sink label) pairs: the lattice order (reflexive and
  transitive) together with the explicit `flow` rules;
* `budgets`, and the dynamic rules `spawn`, `connect` and `pass`.
-/

namespace SMOS

/-- `subject` may perform `op` of class `cls` on an object of sid `object`. -/
structure Perm where
  subject : Sid
  object : Sid
  cls : ClassId
  op : OpId
  deriving DecidableEq, Repr

/-- `subject` may hold a cap carrying `right` to a kernel object of sid `object`, kind `kind`. -/
structure KPerm where
  subject : Sid
  object : Sid
  kind : ObjKind
  right : Right
  deriving DecidableEq, Repr

/-- `spawn parent -> child as role`. -/
structure SpawnRule where
  parent : Sid
  child : Sid
  role : Role
  deriving DecidableEq, Repr

/-- `connect client -> server`. -/
structure ConnectRule where
  client : Sid
  server : Sid
  deriving DecidableEq, Repr

/-- `pass sender -> receiver : cls`: handle caps of class `cls` may be handed on. -/
structure PassRule where
  sender : Sid
  receiver : Sid
  cls : ClassId
  deriving DecidableEq, Repr

/-- `budget source -> sink <= bits`: at most `bits` bits per epoch between two labels. -/
structure Budget where
  source : Label
  sink : Label
  bits : Nat
  deriving DecidableEq, Repr

structure Policy where
  allow : List Perm
  kernelAllow : List KPerm
  neverallow : List Perm
  kernelNeverallow : List KPerm
  labelOf : List (Sid × Label)
  flows : List (Label × Label)
  budgets : List Budget
  spawn : List SpawnRule
  connect : List ConnectRule
  pass : List PassRule

/-- The decision of the policy server: `smos_auth(subject, object, cls, op)`. -/
def smosAuth (p : Policy) (subject object : Sid) (cls : ClassId) (op : OpId) : Bool :=
  memB (Perm.mk subject object cls op) p.allow

/-- Information may flow from sid `a` to sid `b`: every label of `a` may flow to every label
of `b` (a sid without a label is unconstrained). -/
def FlowAllowed (p : Policy) (a b : Sid) : Prop :=
  ∀ (la lb : Label), (a, la) ∈ p.labelOf → (b, lb) ∈ p.labelOf → (la, lb) ∈ p.flows

end SMOS
