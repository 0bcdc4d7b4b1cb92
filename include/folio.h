/* folio.h: umbrella header of the folio engine (portfolio review workflow for QMS/QLMS). */
#ifndef FOLIO_H
#define FOLIO_H

#include "folio/common.h"
#include "folio/framework.h"
#include "folio/evidence.h"
#include "folio/site.h"
#include "folio/people.h"
#include "folio/portfolio.h"
#include "folio/index.h"
#include "folio/panel.h"
#include "folio/submission.h"
#include "folio/assign.h"
#include "folio/review.h"
#include "folio/certificate.h"
#include "folio/mcf.h"
#include "folio/pack.h"
#include "folio/archive.h"

#endif
