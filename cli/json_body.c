#include "json_body.h"
