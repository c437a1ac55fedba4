/* Printing a plan: JSON (pretty) or a human summary. */
#ifndef BOOTRINO_AGENT_DOC_PLAN_PRINT_H
#define BOOTRINO_AGENT_DOC_PLAN_PRINT_H

#include <stdio.h>

#include "agent/doc/plan.h"

int cli_plan_print_json(FILE *f, const struct cli_plan *p);
void cli_plan_print_text(FILE *f, const struct cli_plan *p);

#endif
