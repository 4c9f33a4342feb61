# CPack: two Debian packages from one build (`./troupe.sh package`, which
# runs `cpack -G DEB` in build-package/):
#   troupe-node    the `troupe` tool (node, cluster, status, top, tls), the
#                  systemd unit troupe-node@.service and an example node.conf;
#                  its library dependencies come from dpkg-shlibdeps.
#   libtroupe-dev  the headers, static libraries and CMake package of
#                  find_package(troupe), with the -dev packages they need.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME troupe)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "troupe")
set(CPACK_PACKAGE_CONTACT "troupe developers <troupe@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "distributed actor runtime for C++ on CAF")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL node dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)

set(CPACK_DEBIAN_NODE_PACKAGE_NAME troupe-node)
set(CPACK_DEBIAN_NODE_PACKAGE_SECTION net)
set(CPACK_DEBIAN_NODE_PACKAGE_SHLIBDEPS ON)
set(CPACK_COMPONENT_NODE_DESCRIPTION
    "troupe's command-line tool and cluster node
 `troupe node` runs one node of a troupe cluster (membership, failure
 detection, registry, remote spawn, supervision); `troupe status`, `troupe
 top` and `troupe tls` operate a cluster. Includes the systemd unit
 troupe-node@.service (configuration in /etc/troupe/NAME.conf).")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libtroupe-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libcaf-dev (>= 0.17.6), libssl-dev, zlib1g-dev, libcpp-httplib-dev, nlohmann-json3-dev, libc-ares-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "troupe's headers, static libraries and CMake package
 find_package(troupe REQUIRED) then links troupe::troupe and
 troupe::actors.")
include(CPack)
