import SMOS.Util
import SMOS.Model.Basic
import SMOS.Model.Table

/-!
# The policy

The emitter expands every rule of the policy language into tuples, with attributes resolved:

* `allow` (written grouped, as `allowTable`: `SMOS.Model.Table`) holds the permissions the policy grants on server objects, after `deny` rules
  are taken away (so it is exactly what the policy server must permit);
* `kernelAllow` (written as `kernelAllowTable`) holds the same for kernel objects: a component of sid `subject` may hold a cap
  with `right` to a kernel object of sid `object` and kind `kind`;
* `neverallow` / `kernelNeverallow` are the expanded `neverallow` rules;
* `flows` holds the allowed (source label, sink label) pairs: the lattice order (reflexive and
  transitive) together with the explicit `flow` rules;
* `order` is the lattice order alone and `trust` the `trusted` declarations (one per subject
  sid), which widen what a trusted component's output may be treated as;
* `reads` / `writes` say which operations of a class move data out of / into an object;
* `budgets`, and the dynamic rules `spawn`, `connect` and `pass`.

The policy server's decisions are data of the system (`Sys.decisions`), not the policy: P4
checks them against `allow`.
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

/-- `trusted subject for source -> sink`, one per subject sid: information leaving a component of
sid `subject` whose labels include one at or below `source` may also be treated as `sink`. -/
structure TrustRule where
  subject : Sid
  source : Label
  sink : Label
  deriving DecidableEq, Repr

/-- One entry of the policy server's decision table: its answer to `smos_auth(req)`. -/
structure Decision where
  req : Perm
  permit : Bool
  deriving DecidableEq, Repr

structure Policy where
  allowTable : Table ClassId OpId
  kernelAllowTable : Table ObjKind Right
  neverallow : List Perm
  kernelNeverallow : List KPerm
  labelOf : List (Sid × Label)
  flows : List (Label × Label)
  /-- The lattice order alone (reflexive and transitive), which trust rules read. -/
  order : List (Label × Label)
  trust : List TrustRule
  /-- The operations of each class that move data from the object to the caller ... -/
  reads : List (ClassId × OpId)
  /-- ... and from the caller into the object. -/
  writes : List (ClassId × OpId)
  budgets : List Budget
  spawn : List SpawnRule
  connect : List ConnectRule
  pass : List PassRule

/-- The permissions the policy grants on server objects, one by one. -/
def Policy.allow (p : Policy) : List Perm := p.allowTable.entries Perm.mk

/-- The caps the policy lets a component hold, right by right. -/
def Policy.kernelAllow (p : Policy) : List KPerm := p.kernelAllowTable.entries KPerm.mk

/-- `q ∈ p.allow` decided through the groups (`allows_iff`). -/
def Policy.allows (p : Policy) (q : Perm) : Bool :=
  memB q.op (p.allowTable.ops q.subject q.object q.cls)

/-- `q ∈ p.kernelAllow` decided through the groups (`kernelAllows_iff`). -/
def Policy.kernelAllows (p : Policy) (q : KPerm) : Bool :=
  memB q.right (p.kernelAllowTable.ops q.subject q.object q.kind)

/-- Every operation sid `a` may perform on objects of sid `t` and class `c`, sid `b` may perform
too (`allowsAllOf_iff`). -/
def Policy.allowsAllOf (p : Policy) (a b t : Sid) (c : ClassId) : Bool :=
  (p.allowTable.ops a t c).all fun op => memB op (p.allowTable.ops b t c)

theorem Policy.allows_iff {p : Policy} {q : Perm} : p.allows q = true ↔ q ∈ p.allow :=
  ⟨fun h => (Table.mem_ops_iff Perm.mk.inj).mp (mem_of_memB h),
   fun h => memB_of_mem ((Table.mem_ops_iff Perm.mk.inj).mpr h)⟩

theorem Policy.kernelAllows_iff {p : Policy} {q : KPerm} : p.kernelAllows q = true ↔ q ∈ p.kernelAllow :=
  ⟨fun h => (Table.mem_ops_iff KPerm.mk.inj).mp (mem_of_memB h),
   fun h => memB_of_mem ((Table.mem_ops_iff KPerm.mk.inj).mpr h)⟩

theorem Policy.allowsAllOf_iff {p : Policy} {a b t : Sid} {c : ClassId} :
    p.allowsAllOf a b t c = true ↔
      ∀ op, Perm.mk a t c op ∈ p.allow → Perm.mk b t c op ∈ p.allow := by
  unfold allowsAllOf
  rw [List.all_eq_true]
  constructor
  · intro h op hop
    exact (Table.mem_ops_iff Perm.mk.inj).mp
      (mem_of_memB (h op ((Table.mem_ops_iff Perm.mk.inj).mpr hop)))
  · intro h op hop
    exact memB_of_mem ((Table.mem_ops_iff Perm.mk.inj).mpr
      (h op ((Table.mem_ops_iff Perm.mk.inj).mp hop)))

/-- The decision of the policy server, as its decision table `d` says: `smos_auth(q)` permits
when the table lists `q` as permitted (a request the table does not list is denied). -/
def smosAuth (d : List Decision) (q : Perm) : Bool :=
  memB (Decision.mk q true) d

end SMOS
