import SMOS.Properties

/-!
# Every performed operation was permitted (the mediation half of P1)

In the model a server acts only after `smos_auth` permits (`Step.openObj`, `Step.call`), so
this holds for every system; no certificate is needed. That the permits are the policy's is P4
(`permitted_of_decisions`).
-/

namespace SMOS

theorem KStep.log_eq {sys : Sys} {s s' : State} (h : KStep sys s s') : s'.log = s.log := by
  cases h <;> rfl

theorem mediated_of_log_eq {sys : Sys} {s s' : State} (ih : Mediated sys s)
    (h : s'.log = s.log) : Mediated sys s' := by
  intro a ha
  rw [h] at ha
  exact ih a ha

theorem mediated_record {sys : Sys} {s : State} {acc : Access} (ih : Mediated sys s)
    (hauth : smosAuth sys.decisions (Perm.mk acc.subject.sid acc.obj.sid acc.obj.cls acc.op) = true) :
    Mediated sys (s.record acc) := by
  intro a ha
  have ha' : a ∈ acc :: s.log := ha
  cases List.mem_cons.mp ha' with
  | inl heq => rw [heq]; exact hauth
  | inr hin => exact ih a hin

/-- Every operation recorded in any reachable state was permitted by the policy server. -/
theorem mediated_of_reachable {sys : Sys} {s : State} (h : Reachable sys s) :
    Mediated sys s := by
  induction h with
  | init =>
    intro a ha
    have ha' : a ∈ ([] : List Access) := ha
    cases ha'
  | step _ hst ih =>
    cases hst with
    | kernel hk => exact mediated_of_log_eq ih (KStep.log_eq hk)
    | spawn _ _ _ => exact mediated_of_log_eq ih rfl
    | connect _ _ _ _ _ _ _ _ => exact mediated_of_log_eq ih rfl
    | openObj _ _ _ _ _ _ _ _ => exact mediated_of_log_eq ih rfl
    | call _ _ _ _ _ hauth => exact mediated_record ih hauth
    | pass _ _ _ _ _ _ => exact mediated_of_log_eq ih rfl
    | close _ => exact mediated_of_log_eq ih rfl

end SMOS
