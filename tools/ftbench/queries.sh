#!/bin/bash
# queries.sh A|B|C DB: the four searches for one design.
B=$(dirname "$0")/bench1.sh
design=$1; db=$2
h(){ printf '%s' "$1" | xxd -p -u | tr -d '\n'; }
a(){ # label, boolean query, LIKE word
  $B $db "$1" "SELECT DISTINCT cs.case_id FROM case_search cs WHERE MATCH (cs.grams) AGAINST ('$2' IN BOOLEAN MODE) AND EXISTS (SELECT 1 FROM docs d WHERE d.case_id = cs.case_id AND d.body LIKE '%$3%') ORDER BY cs.case_id DESC LIMIT 50"; }
b(){ $B $db "$1" "SELECT case_id FROM cases_text WHERE MATCH (body) AGAINST ('+\"$1\"' IN BOOLEAN MODE) ORDER BY case_id DESC LIMIT 50"; }
case $design in
A)
  a 电梯 "+$(h 电梯)" 电梯
  a 路灯不亮 "+$(h 路灯不)" 路灯不亮
  a 金茂湾12号楼 "+$(h 金茂湾) +$(h 12号)" 金茂湾12号楼
  a 不存在的词语 "+$(h 不存在) +$(h 的词语)" 不存在的词语 ;;
B)
  for w in 电梯 路灯不亮 金茂湾12号楼 不存在的词语; do b $w; done ;;
esac
if [ "$design" = C ]; then
  docs=${3:-docs}
  for w in ${WORDS:-电梯 路灯不亮 金茂湾12号楼 不存在的词语}; do
    grams=$(/tmp/ftbench_bin -q "$w" | sort -u | paste -sd,)
    # The app's first step: each bigram's count; a missing one means no match.
    counts=$(mysql -h127.0.0.1 -uroot -N $db -e "SELECT gram, n FROM gram_counts WHERE gram IN ($grams) ORDER BY n")
    $B $db "$w:counts" "SELECT gram, n FROM gram_counts WHERE gram IN ($grams) ORDER BY n"
    ngrams=$(echo "$grams" | tr , '\n' | wc -l)
    if [ "$(printf '%s\n' "$counts" | grep -c .)" -lt "$ngrams" ]; then echo "$w: a bigram has no postings, no match"; continue; fi
    rare=$(printf '%s\n' "$counts" | head -1 | cut -f1)
    ex=""
    for g in $(printf '%s\n' "$counts" | tail -n +2 | cut -f1); do ex="$ex AND EXISTS (SELECT 1 FROM postings q WHERE q.gram = $g AND q.case_id = p.case_id)"; done
    sql="SELECT p.case_id FROM postings p WHERE p.gram = $rare $ex AND EXISTS (SELECT 1 FROM $docs d WHERE d.case_id = p.case_id AND d.body LIKE '%$w%') ORDER BY p.case_id DESC LIMIT 50"
    echo "$sql" > /tmp/ftbench_lastC.sql
    $B $db "$w" "$sql"
  done
fi
