// Builds the function's runtime image without a container engine (make image): its own module so
// go-containerregistry never enters the function's module graph.
module github.com/tenantcluster/function-tenantcluster/test/tools/image

go 1.26.4

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
)
