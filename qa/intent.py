"""What a question asks: its intent and the entities it names.

Intents, checked in this order (the first that fits wins):

* ``lookup`` — names a clause by number (``三(五)1``, ``四（三）``, ``第十二条``);
* ``dept_tasks`` — names a department and asks what it does (卫健委负责什么 / 省民政厅牵头哪些任务);
* ``department`` — asks who is responsible (哪个部门 / 谁牵头 / 归谁管 / 由哪些单位负责);
* ``target`` — asks for a number (多少 / 目标 / 达到 / 比例 / 覆盖率);
* ``support`` — asks about support measures (补贴 / 减免 / 贷款 / 优惠 / 扶持 / 能不能);
* ``general`` — anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from corpus.departments import load_dictionary
from index.hybrid import ARTICLE_PATH_RE, PLAN_PATH_RE, ordinal_paths

Intent = Literal["lookup", "dept_tasks", "department", "target", "support", "general"]

DEPT_TASKS_RE = re.compile(r"(负责|牵头|承担|管|分管|参与|协同|配合)(哪些|什么|了什么|啥)|哪些任务|什么任务|职责|任务有哪些|工作有哪些|干什么|做什么")
DEPARTMENT_RE = re.compile(
    r"哪个部门|哪些部门|什么部门|哪几个部门|哪几个单位|哪几家|是不是.{0,12}(牵头|负责|主管)|(牵头|负责)[吗么]|哪个单位|哪些单位|什么单位|哪家|谁牵头|谁负责|谁来|谁管|归谁|由谁|"
    r"牵头部门|牵头单位|责任部门|责任单位|主管部门|负责部门|负责单位|哪个厅|哪个局|找谁|问谁|哪里管"
)
TARGET_RE = re.compile(
    r"多少|几个|几张|几人|几成|百分之|比例|比重|占比|覆盖率|达标率|目标|指标|达到|要求.{0,6}[率数]|多大|多高|几平方|"
    r"数量|规模|多少个|增加.{0,4}多少"
)
SUPPORT_RE = re.compile(
    r"补贴|补助|减免|免税|减税|贷款|优惠|扶持|支持政策|奖励|激励|资助|资金|融资|税收|税费|用地|租金|"
    r"能不能|可不可以|能否|可以享受|享受|有什么政策|有哪些政策|政策支持|帮扶|纾困|稳岗|社保|专项债|担保|信贷|"
    r"支持吗|有支持|什么支持|哪些支持|政策吗|有政策|允许|放宽|简化|鼓励吗|返还|挂牌|保险"
)


@dataclass(frozen=True)
class Parsed:
    intent: Intent
    departments: list[str] = field(default_factory=list)
    clause_refs: list[str] = field(default_factory=list)


def classify(question: str) -> Parsed:
    """Intent and named entities of a normalized question.

    >>> classify("卫健委负责哪些任务").intent
    'dept_tasks'
    >>> classify("谁牵头推动社区基础服务设施达标").intent
    'department'
    """
    compact = question.replace("（", "(").replace("）", ")").replace(" ", "")
    refs = [m.group(0) for m in PLAN_PATH_RE.finditer(compact)]
    refs += ordinal_paths(compact)
    refs += [m.group(0) for m in ARTICLE_PATH_RE.finditer(compact)]
    departments = load_dictionary().find_in(question)
    if refs:
        return Parsed("lookup", departments, refs)
    if departments and DEPT_TASKS_RE.search(question) and not DEPARTMENT_RE.search(question):
        return Parsed("dept_tasks", departments)
    if DEPARTMENT_RE.search(question):
        return Parsed("department", departments)
    if TARGET_RE.search(question):
        return Parsed("target", departments)
    if SUPPORT_RE.search(question):
        return Parsed("support", departments)
    return Parsed("general", departments)
