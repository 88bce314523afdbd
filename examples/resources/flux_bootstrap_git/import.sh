# The import ID is the namespace Flux runs in.
terraform import flux_bootstrap_git.this flux-system
