import SMOS.Util
import SMOS.Model
import SMOS.Properties
import SMOS.Certificate
import SMOS.Checkers
import SMOS.Thm

/-!
# SMOS: a Lean 4 model of SMOS-style seL4 systems

Spec (`SMOS.Model`, `SMOS.Properties`), certificates (`SMOS.Certificate`), trusted checkers
(`SMOS.Checkers`) and their soundness theorems (`SMOS.Thm`). Instance modules under
`Instances/` import this file. See docs/lean.md.
-/
