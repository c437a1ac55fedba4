#include <curl/curl.h>

#include "fetch/fetch.h"

const char *fetch_library_version(void)
{
	return curl_version();
}
