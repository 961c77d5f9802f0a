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

/-! ## Permission sets as numerals

`allow` and `kernelAllow` are the large parts of a policy (a generated one of 62 sids has 14,881
kernel permissions), and this Lean reads a bracketed term far more slowly than a numeral: the
14,881 entries written as grouped tuples took 16 to 76 s to parse, the same set as 62 hexadecimal
numerals 25 ms. So each is a list of rows `(subject sid, n)`: subject `s` holds exactly the
permissions whose key is a set bit of `n`, the key numbering object sid, class (or kind) and
operation (or right). Membership is defined by the bits, so a checker's question is a
`Nat.testBit`, which the kernel computes on the numeral directly. The instance module shows each
set as a readable table in a comment beside the numerals. -/

/-- Whether row `s` of `rows` has bit `k` set (a subject may have several rows; any counts). -/
def rowsHas (rows : List (Sid × Nat)) (s : Sid) (k : Nat) : Bool :=
  rows.any fun r => eqB r.1 s && r.2.testBit k

/-- A set of `Perm`s: class ids below `classes`, operation ids below `ops`; the permission
`⟨s, t, c, op⟩` is in the set when bit `(t * classes + c) * ops + op` of a row of `s` is set. -/
structure PermSet where
  classes : Nat
  ops : Nat
  rows : List (Sid × Nat)

def PermSet.key (a : PermSet) (object : Sid) (cls : ClassId) (op : OpId) : Nat :=
  (object * a.classes + cls) * a.ops + op

def PermSet.has (a : PermSet) (q : Perm) : Bool :=
  decide (q.cls < a.classes) && (decide (q.op < a.ops) && rowsHas a.rows q.subject (a.key q.object q.cls q.op))

instance : Membership Perm PermSet := ⟨fun a q => a.has q = true⟩

/-- A member's operation is below `ops` (so `List.range a.ops` lists every operation a member has). -/
theorem PermSet.op_lt {a : PermSet} {q : Perm} (h : q ∈ a) : q.op < a.ops :=
  of_decide_eq_true (and_true_left (and_true_right (h : a.has q = true)))

def ObjKind.index : ObjKind → Nat
  | .tcb => 0 | .cnode => 1 | .vspace => 2 | .frames => 3 | .endpoint => 4 | .region => 5
  | .notification => 6 | .untyped => 7

def Right.index : Right → Nat
  | .read => 0 | .write => 1 | .execute => 2 | .send => 3 | .receive => 4 | .grant => 5
  | .grantReply => 6 | .signal => 7 | .wait => 8 | .control => 9

/-- `⟨s, t, k, r⟩`'s bit in a row of `s`: 8 kinds and 10 rights per object sid. -/
def KPerm.key (q : KPerm) : Nat := (q.object * 8 + q.kind.index) * 10 + q.right.index

/-- A set of `KPerm`s: `q` is in it when bit `q.key` of a row of `q.subject` is set. -/
structure KPermSet where
  rows : List (Sid × Nat)

def KPermSet.has (a : KPermSet) (q : KPerm) : Bool := rowsHas a.rows q.subject q.key

instance : Membership KPerm KPermSet := ⟨fun a q => a.has q = true⟩

/-- The set cut to the rows of subject `s` (`KPermSet.has_only`: the same answer for `s`). -/
def KPermSet.only (x : KPermSet) (s : Sid) : KPermSet := ⟨x.rows.filter fun r => eqB r.1 s⟩

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
  allow : PermSet
  kernelAllow : KPermSet
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

/-- `q ∈ p.allow` decided (it is the definition: `allows_iff`). -/
def Policy.allows (p : Policy) (q : Perm) : Bool := p.allow.has q

/-- `q ∈ p.kernelAllow` decided. -/
def Policy.kernelAllows (p : Policy) (q : KPerm) : Bool := p.kernelAllow.has q

/-- The set cut to the rows of subject `s`: the same answer for `s`'s permissions
(`PermSet.has_only`), found without passing every other subject's rows again. -/
def PermSet.only (x : PermSet) (s : Sid) : PermSet := { x with rows := x.rows.filter fun r => eqB r.1 s }

theorem rowsHas_filter (rows : List (Sid × Nat)) (s k : Nat) :
    rowsHas (rows.filter fun r => eqB r.1 s) s k = rowsHas rows s k := by
  induction rows with
  | nil => rfl
  | cons r rest ih =>
    unfold rowsHas at ih ⊢
    cases h : eqB r.1 s <;> simp [h, ih]

theorem PermSet.has_only {x : PermSet} {q : Perm} : (x.only q.subject).has q = x.has q := by
  unfold PermSet.has PermSet.only
  rw [rowsHas_filter]
  rfl

theorem KPermSet.has_only {x : KPermSet} {q : KPerm} : (x.only q.subject).has q = x.has q := by
  unfold KPermSet.has KPermSet.only
  exact rowsHas_filter x.rows q.subject q.key

/-- Every operation sid `a` may perform on objects of sid `t` and class `c`, sid `b` may perform
too (`allowsAllOf_iff`): one question per operation id, each to the rows of its sid alone. -/
def Policy.allowsAllOf (p : Policy) (a b t : Sid) (c : ClassId) : Bool :=
  let A := p.allow.only a
  let B := p.allow.only b
  (List.range p.allow.ops).all fun op => !A.has ⟨a, t, c, op⟩ || B.has ⟨b, t, c, op⟩

theorem Policy.allows_iff {p : Policy} {q : Perm} : p.allows q = true ↔ q ∈ p.allow := Iff.rfl

theorem Policy.kernelAllows_iff {p : Policy} {q : KPerm} : p.kernelAllows q = true ↔ q ∈ p.kernelAllow :=
  Iff.rfl

theorem Policy.allowsAllOf_iff {p : Policy} {a b t : Sid} {c : ClassId} :
    p.allowsAllOf a b t c = true ↔
      ∀ op, Perm.mk a t c op ∈ p.allow → Perm.mk b t c op ∈ p.allow := by
  unfold allowsAllOf
  simp only []
  rw [List.all_eq_true]
  constructor
  · intro h op hop
    have h1 := h op (List.mem_range.mpr (PermSet.op_lt hop))
    rw [PermSet.has_only (q := ⟨a, t, c, op⟩), PermSet.has_only (q := ⟨b, t, c, op⟩)] at h1
    exact imp_true h1 hop
  · intro h op _
    rw [PermSet.has_only (q := ⟨a, t, c, op⟩), PermSet.has_only (q := ⟨b, t, c, op⟩)]
    cases ha : p.allow.has ⟨a, t, c, op⟩
    · rfl
    · exact or_of_true (Or.inr (h op ha))

/-- The decision of the policy server, as its decision table `d` says: `smos_auth(q)` permits
when the table lists `q` as permitted (a request the table does not list is denied). -/
def smosAuth (d : List Decision) (q : Perm) : Bool :=
  memB (Decision.mk q true) d

end SMOS
