/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * batch.h - read a batch file into one plan: each line the words of a
 * subcommand; the whole file checked before anything runs.
 */
#ifndef KVM_ASSIGN_BATCH_H
#define KVM_ASSIGN_BATCH_H

#include <stdio.h>

#include "run.h"

/* Parse every line of in (named file in messages) into p: 0, or an exit
 * code with f saying FILE:LINE: 'WORD': why. */
int batch_parse(FILE *in, const char *file, struct plan *p, struct failure *f);

#endif
