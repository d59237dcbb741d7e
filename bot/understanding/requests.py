"""A service request (工单) in one sentence: "王总反馈 X1 漏油，周五前上门处理", "Acme says
the license key fails, fix by tomorrow", "刘总投诉发货太慢，急".

A request sentence reports something wrong with what the customer has (a fault: 坏了,
漏油, 报错, fails, broken…), a complaint (投诉, 不满, complains…), a return the customer
asks for (要退货, 换货, wants to return…), or says it is one (工单, 售后, 报修, ticket,
support request). A question is a request only when it says so (咨询…工单, "support
question"): "对价格有疑问" on a call is a log. A sentence that reads as a payment or a
purchase is not a request. The kind is the first of complaint, return, fault, question
whose words are there; the priority comes from words of urgency (紧急, 尽快, urgent,
asap, 不急, low priority), else normal. When it is due is read as a log's follow-up is
(bot/understanding/logs.py), with "前"/"by" deadlines counting as the due time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding.payments import reads_like_payment
from bot.understanding.returns import reads_like_return
from bot.understanding.sales import reads_like_purchase
from storage.models import RequestKind, RequestPriority

_COMPLAINT = re.compile(
    r"投诉|抱怨|不满|差评|态度(?:差|不好)|太慢了?|\bcomplain(?:s|ed|t|ts|ing)?\b|\bunhappy\b|"
    r"\bangry\b|\bfurious\b|\bdissatisfied\b", re.I)
_RETURN = re.compile(
    r"(?:要|想|申请|要求|需要)(?:退货|退换|换货|退回)|退货|换货|退款|退掉|"
    r"把.{0,10}?退(?:了|掉|回)|"
    r"\b(?:wants?|would like|asks?|asked|asking|requests?|requested) (?:to )?"
    r"(?:return|exchange|send\b.{0,20}?\bback|take\b.{0,20}?\bback|refund)\b|"
    r"\b(?:return request|refund)\b|\brma\b", re.I)
# Symptoms, by family: broken or failing (坏, 故障, fails, broken…), a thing that does
# not do its job (不 + 制冷/工作/出水/亮…, 没反应, won't start), leaks and noises, and the
# ways software fails (闪退, 报错, 黑屏, crash, error).
_FAULT = re.compile(
    r"坏了|坏掉|损坏|故障|报修|漏(?:油|水|气|电)|不能用|用不了|没法用|"
    r"无法(?:使用|登录|启动|开机|连接|打开)|打不开|开不了机|启动不了|登(?:录|陆)不了|连不上|"
    r"不(?:制冷|制热|工作|出水|出风|通电|亮|转|动|响|显示|打印|充电|识别)了?|没(?:反应|声音|信号)|"
    r"报错|死机|闪退|黑屏|蓝屏|白屏|卡死|跳闸|异响|噪音|卡顿|失灵|质量问题|有问题|出问题|"
    r"\b(?:fails?|failing|failed|broken|broke|crash(?:es|ed|ing)?|defective|faulty|leaks?|"
    r"leaking|error|errors|bug|glitch(?:es)?|stopped (?:working|responding)|"
    r"won't (?:start|work|turn on|open|load|boot|connect)|can't (?:log ?in|connect|open)|"
    r"(?:doesn't|does not|isn't|is not|not) (?:work|working|responding|turning on)|"
    r"keeps? (?:failing|crashing|freezing))\b",
    re.I)
_ASKED_FOR = re.compile(
    r"工单|售后|报修|上门(?:处理|维修|服务)|维修|返修|"
    r"\b(?:ticket|support (?:request|question|case)|service (?:request|call)|"
    r"fix(?:ed)? by|needs? (?:fixing|a fix|repair)|repair)\b", re.I)
_QUESTION = re.compile(r"咨询|请教|怎么(?:用|操作|设置)|如何|\bquestion\b|\bhow (?:to|do)\b",
                       re.I)
_URGENT = re.compile(r"紧急|特急|十万火急|急[!！。，,]?$|很急|非常急|马上|立刻|立即|停产|"
                     r"\b(?:urgent|urgently|immediately|critical|emergency|right away)\b",
                     re.I)
# "asap" is 尽快: soon, not an emergency.
_HIGH = re.compile(r"尽快|尽早|优先|比较急|高优先|\b(?:asap|high priority|as soon as possible|"
                   r"important|quickly)\b", re.I)
_LOW = re.compile(r"不急|不着急|有空|低优先|\b(?:low priority|no rush|not urgent|"
                  r"when you can|whenever)\b", re.I)


@dataclass(frozen=True)
class RequestWords:
    kind: RequestKind
    priority: RequestPriority


def reads_like_request(text: str) -> bool:
    """Something wrong, a complaint, a return asked for, or a request said to be one; and
    not money in or goods bought."""
    if not (_COMPLAINT.search(text) or _RETURN.search(text) or _FAULT.search(text)
            or _ASKED_FOR.search(text)):
        return False
    return not (reads_like_payment(text) or reads_like_purchase(text)
                or reads_like_return(text))


def request_kind(text: str) -> RequestKind:
    if _COMPLAINT.search(text):
        return RequestKind.COMPLAINT
    if _RETURN.search(text):
        return RequestKind.RETURN
    if _FAULT.search(text) or not _QUESTION.search(text):
        return RequestKind.FAULT
    return RequestKind.QUESTION


def request_priority(text: str) -> RequestPriority:
    if _LOW.search(text):
        return RequestPriority.LOW
    if _URGENT.search(text):
        return RequestPriority.URGENT
    if _HIGH.search(text):
        return RequestPriority.HIGH
    return RequestPriority.NORMAL


def understand_request(text: str) -> RequestWords:
    return RequestWords(request_kind(text), request_priority(text))
