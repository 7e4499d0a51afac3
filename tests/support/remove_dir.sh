# Sourced by the throwaway-server scripts (postgres.sh, slurm.sh): removes
# $dir only if the script made it (its marker file $marker) or it is empty,
# so that a wrong DIR never costs its contents.
remove_dir() {
  [[ -e "$dir" ]] || return 0
  if [[ -f "$dir/$marker" || -z "$(ls -A "$dir")" ]]; then
    rm -rf "$dir"
    return 0
  fi
  echo "$(basename "$0"): $dir was not made by '$(basename "$0") start': left as it is" >&2
  return 1
}
