import SMOS.Thm.Invariant
import SMOS.Thm.Mediation
import SMOS.Thm.Authority
import SMOS.Thm.Flow
import SMOS.Thm.Policy
import SMOS.Thm.Leakage
import SMOS.Thm.Dynamic
import SMOS.Thm.Parts

/-!
# The theorems

* `SMOS.Thm.Invariant`: a certificate closed under every transition covers every reachable
  state (`covers_of_kreachable`, `covers_of_reachable`).
* `SMOS.Thm.Mediation`: every performed operation was permitted (`mediated_of_reachable`).
* `SMOS.Thm.Authority`: checkers for P1–P3 are sound.
* `SMOS.Thm.Flow`: checkers for P5 are sound.
* `SMOS.Thm.Policy`: P4.
* `SMOS.Thm.Leakage`: max-flow is at most any cut; P6.
* `SMOS.Thm.Dynamic`: P7.
* `SMOS.Thm.Parts`: each property from its checker's conjuncts, proved one theorem each.
-/
