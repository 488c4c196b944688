# gzip -9n every manual page in DIR (man1/*.1 -> *.1.gz), each through a
# temporary file, so an install copying them never sees half a page.
file(GLOB pages "${DIR}/*.1")
foreach(page ${pages})
  execute_process(COMMAND gzip -9nc "${page}" OUTPUT_FILE "${page}.gz.tmp" RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "gzip ${page} failed")
  endif()
  file(RENAME "${page}.gz.tmp" "${page}.gz")
endforeach()
