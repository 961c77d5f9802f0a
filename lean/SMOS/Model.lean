import SMOS.Model.Basic
import SMOS.Model.Policy
import SMOS.Model.State
import SMOS.Model.Step
import SMOS.Model.Network

/-!
# The SMOS model

* `SMOS.Model.Basic`: components, kernel objects, caps (as edges), objects, handles, and the
  finite abstraction of spawned components.
* `SMOS.Model.Policy`: the expanded policy (its permission sets as numerals) and the policy server's decision `smosAuth`.
* `SMOS.Model.State`: systems (`Sys`) and states, and how each step changes a state.
* `SMOS.Model.Step`: the transition system (`KStep`, `Step`), reachability, information flow.
* `SMOS.Model.Network`: channel networks and flows for the leakage bound.
-/
