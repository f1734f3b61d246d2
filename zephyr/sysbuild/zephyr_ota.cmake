# Functions of the zephyr-ota sysbuild hook (included by CMakeLists.txt here).
#
# Entry points:
#   zephyr_ota_launcher(<out-var> PYTHON <python> MODULE_DIR <dir> [ZEPHYR_BASE <dir>])
#       the command prefix that runs "python -m zephyr_ota"
#   zephyr_ota_commands(<out-sign> <out-verify> BUILD_DIR <dir> APP_DIR <dir>)
#       the sign-build / verify-build argument lists from the SB_CONFIG_ZEPHYR_OTA_* values
#   zephyr_ota_add_sign_target(IMAGES <images...> BUILD_DIR <dir> APP_DIR <dir>
#                              PYTHON <python> MODULE_DIR <dir> [ZEPHYR_BASE <dir>])
#       adds the target zephyr_ota_sign (part of ALL) after every image
#
# Kept apart from CMakeLists.txt so tests/module/ can run them with
# "cmake -P" and stubbed target commands, without a Zephyr tree.

# Runs <python> with the given PYTHONPATH entries (none: unchanged) on
# "-c <code>"; returns the exit status in <out-var>.
function(zephyr_ota_probe out_var python code)
  set(env_prefix)
  if(ARGN)
    zephyr_ota_pythonpath(pythonpath ${ARGN})
    set(env_prefix ${CMAKE_COMMAND} -E env "PYTHONPATH=${pythonpath}")
  endif()
  execute_process(COMMAND ${env_prefix} ${python} -c "${code}"
                  RESULT_VARIABLE result OUTPUT_QUIET ERROR_VARIABLE error)
  set(${out_var} ${result} PARENT_SCOPE)
  set(${out_var}_ERROR "${error}" PARENT_SCOPE)
endfunction()

# Joins folders into one PYTHONPATH value with ':' (os.pathsep on POSIX).
# On Windows os.pathsep is ';', CMake's list separator, which does not
# survive into a command line reliably: only the first folder is used there.
function(zephyr_ota_pythonpath out_var)
  if(WIN32)
    list(GET ARGN 0 joined)
  else()
    string(REPLACE ";" ":" joined "${ARGN}")
  endif()
  set(${out_var} "${joined}" PARENT_SCOPE)
endfunction()

function(zephyr_ota_launcher out_var)
  cmake_parse_arguments(ZOL "" "PYTHON;MODULE_DIR;ZEPHYR_BASE" "" ${ARGN})
  if(NOT ZOL_PYTHON)
    message(FATAL_ERROR "zephyr-ota: PYTHON_EXECUTABLE is not set; the Zephyr build "
                        "should have found Python (cmake/modules/python.cmake)")
  endif()
  # An installed zephyr-ota (pip install into the build's Python) wins,
  # as it does for the west extension.
  zephyr_ota_probe(installed ${ZOL_PYTHON} "import zephyr_ota")
  if(installed EQUAL 0)
    set(${out_var} ${ZOL_PYTHON} PARENT_SCOPE)
    return()
  endif()
  # Python modules zephyr_ota needs at run time (pyproject.toml [project]
  # dependencies, by import name), probed before the module checkout is used.
  # Set here, not at file level: the hook runs in sysbuild's top-level scope.
  set(runtime_imports cryptography elftools jinja2 pykwalify yaml devicetree)
  # Else run the module's own checkout, with Zephyr's copy of the devicetree
  # library (scripts/dts/python-devicetree/src) when the tree has one.
  set(paths ${ZOL_MODULE_DIR}/scripts)
  if(ZOL_ZEPHYR_BASE AND EXISTS ${ZOL_ZEPHYR_BASE}/scripts/dts/python-devicetree/src)
    list(APPEND paths ${ZOL_ZEPHYR_BASE}/scripts/dts/python-devicetree/src)
  endif()
  list(JOIN runtime_imports ", " imports)
  zephyr_ota_probe(checkout ${ZOL_PYTHON} "import zephyr_ota, ${imports}" ${paths})
  if(NOT checkout EQUAL 0)
    string(STRIP "${checkout_ERROR}" error)
    string(REGEX REPLACE ".*\n" "" error "${error}")
    message(FATAL_ERROR
      "zephyr-ota: SB_CONFIG_ZEPHYR_OTA_SIGN=y, but ${ZOL_PYTHON} cannot run zephyr_ota "
      "from ${ZOL_MODULE_DIR}/scripts: ${error}\n"
      "  Hint: ${ZOL_PYTHON} -m pip install ${ZOL_MODULE_DIR}")
  endif()
  message(STATUS "zephyr-ota: not installed in ${ZOL_PYTHON}; using the module at ${ZOL_MODULE_DIR}")
  zephyr_ota_pythonpath(pythonpath ${paths})
  set(${out_var} ${CMAKE_COMMAND} -E env "PYTHONPATH=${pythonpath}" ${ZOL_PYTHON} PARENT_SCOPE)
endfunction()

function(zephyr_ota_commands out_sign out_verify)
  cmake_parse_arguments(ZOC "" "BUILD_DIR;APP_DIR" "" ${ARGN})
  set(sign sign-build -d ${ZOC_BUILD_DIR})
  set(verify verify-build -d ${ZOC_BUILD_DIR})
  if(NOT "${SB_CONFIG_ZEPHYR_OTA_OUT_DIR}" STREQUAL "")
    cmake_path(ABSOLUTE_PATH SB_CONFIG_ZEPHYR_OTA_OUT_DIR BASE_DIRECTORY ${ZOC_BUILD_DIR}
               NORMALIZE OUTPUT_VARIABLE out_dir)
    list(APPEND sign --out-dir ${out_dir})
    # verify-build looks the files up next to the manifest.
    list(APPEND verify --manifest ${out_dir}/ota-manifest.json)
  endif()
  if(SB_CONFIG_ZEPHYR_OTA_RELEASE)
    list(APPEND sign --release)
  endif()
  if(NOT "${SB_CONFIG_ZEPHYR_OTA_MANIFEST_KEY}" STREQUAL "")
    set(key "${SB_CONFIG_ZEPHYR_OTA_MANIFEST_KEY}")
    # A PKCS#11 URI (RFC 7512) passes as is; its ';' would split it into
    # several CMake list items, so it becomes $<SEMICOLON>, which the
    # generator turns back into ';' inside one quoted argument. A file is
    # taken from APP_DIR.
    if(key MATCHES "^pkcs11:")
      string(REPLACE ";" "$<SEMICOLON>" key "${key}")
    else()
      cmake_path(ABSOLUTE_PATH key BASE_DIRECTORY ${ZOC_APP_DIR} NORMALIZE)
    endif()
    list(APPEND sign --manifest-key "${key}")
  endif()
  if(NOT "${SB_CONFIG_ZEPHYR_OTA_EXTRA_ARGS}" STREQUAL "")
    separate_arguments(extra UNIX_COMMAND "${SB_CONFIG_ZEPHYR_OTA_EXTRA_ARGS}")
    list(APPEND sign ${extra})
  endif()
  set(${out_sign} ${sign} PARENT_SCOPE)
  if(SB_CONFIG_ZEPHYR_OTA_VERIFY)
    set(${out_verify} ${verify} PARENT_SCOPE)
  else()
    set(${out_verify} "" PARENT_SCOPE)
  endif()
endfunction()

function(zephyr_ota_add_sign_target)
  cmake_parse_arguments(ZOT "" "BUILD_DIR;APP_DIR;PYTHON;MODULE_DIR;ZEPHYR_BASE" "IMAGES" ${ARGN})
  zephyr_ota_launcher(launcher PYTHON ${ZOT_PYTHON} MODULE_DIR ${ZOT_MODULE_DIR}
                      ZEPHYR_BASE ${ZOT_ZEPHYR_BASE})
  zephyr_ota_commands(sign verify BUILD_DIR ${ZOT_BUILD_DIR} APP_DIR ${ZOT_APP_DIR})
  set(commands COMMAND ${launcher} -m zephyr_ota ${sign})
  if(verify)
    list(APPEND commands COMMAND ${launcher} -m zephyr_ota ${verify})
  endif()
  # Run from the application directory so that its ota.yml is found.
  add_custom_target(zephyr_ota_sign ALL
    ${commands}
    WORKING_DIRECTORY ${ZOT_APP_DIR}
    COMMENT "zephyr-ota: signing and checking the images of ${ZOT_BUILD_DIR}"
    USES_TERMINAL
    VERBATIM
  )
  # After every image: the application(s) to sign, MCUboot whose key and
  # configuration the checks compare against and whose hex goes into
  # merged.hex. Each image is an ExternalProject target of the same name
  # (sysbuild_extensions.cmake, ExternalZephyrProject_Add).
  add_dependencies(zephyr_ota_sign ${ZOT_IMAGES})
endfunction()
