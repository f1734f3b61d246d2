"""MCUboot partition layouts: geometry, mode rules, budget, planner, checks.

Modules (pure unless noted):

- ``model``: ``FlashGeometry``, ``Partition``, ``Layout``, ``UpgradeMode`` (shared).
- ``budget`` (+ ``budget_rules``): the image size MCUboot enforces per mode:
  ``BudgetRequest`` -> ``compute_budget`` -> ``Budget``; ``request_for_image``.
- ``planner`` (+ ``slotshapes``, ``kconfig_values``): ``PlanRequest`` ->
  ``plan_layout`` -> ``Plan`` (layout, budgets, Kconfig values, notes).
- ``checks``: ``check_layout(layout, CheckOptions)`` -> ``CheckResult`` of
  ``Finding``s (node path, problem, fix).
- ``pm_import``: Partition Manager YAML -> ``Layout`` (``parse_pm``, ``pm_to_layout``).
- ``overlay_model``, ``flashmap``: what the overlay and the SVG show.
- ``command`` (+ ``command_steps``): the ``zephyr-ota layout`` action; reads
  files, renders through ``zephyr_ota.render`` and writes (not pure).
"""
